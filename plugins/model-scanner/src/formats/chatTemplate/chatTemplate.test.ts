import fs from 'fs';
import path from 'path';
import { analyzeChatTemplate, parseTemplate } from './index';

const dir = path.resolve(__dirname, '../../../fixtures/formats/chat_templates');
const opts = { rulePrefix: 'TEST', where: 'chat_template' };
const severities = (t: string) => analyzeChatTemplate(t, opts).map(f => `${f.ruleId}:${f.severity}`);
const worst = (t: string) => {
  const order = ['none', 'low', 'medium', 'high', 'critical'];
  return analyzeChatTemplate(t, opts).reduce((w, f) => (order.indexOf(f.severity) > order.indexOf(w) ? f.severity : w), 'none');
};

describe('jinja parser', () => {
  it('parses every real chat template without error', () => {
    for (const file of fs.readdirSync(dir).filter(f => f.endsWith('.jinja'))) {
      const parsed = parseTemplate(fs.readFileSync(path.join(dir, file), 'utf8'));
      expect({ file, errors: parsed.errors }).toEqual({ file, errors: [] });
      expect(parsed.tags.length).toBeGreaterThan(2);
    }
  });

  it('builds expression trees with filters, tests, calls and precedence', () => {
    const { tags } = parseTemplate("{{ a.b['c'](1, k=2)|join(', ') ~ 'x' if not d is defined else e[1:-1] }}");
    const e = tags[0].exprs[0];
    expect(e.t).toBe('cond');
    if (e.t !== 'cond') throw new Error();
    expect(e.then.t).toBe('binop');
    expect(e.test).toMatchObject({ t: 'unop', op: 'not', node: { t: 'test', name: 'defined' } });
    expect(e.else).toMatchObject({ t: 'getitem', key: { t: 'slice' } });
  });

  it('decodes python escapes in string literals', () => {
    const { tags } = parseTemplate("{{ '\\x5f\\x5fclass\\u005f\\137' ~ \"\\N{LOW LINE}\" }}");
    expect(tags[0].exprs[0]).toMatchObject({ left: { value: '__class__' }, right: { value: '_' } });
  });

  it('reports tags it cannot parse and keeps going', () => {
    const parsed = parseTemplate('{{ a + }}{{ b }}{% bogus x %}');
    expect(parsed.errors.length).toBe(2);
    expect(parsed.tags[1].exprs[0]).toMatchObject({ t: 'name', name: 'b' });
  });
});

describe('chat template analysis: benign twins', () => {
  for (const file of fs.readdirSync(dir).filter(f => f.endsWith('.jinja'))) {
    it(`${file} is safe`, () => {
      expect(severities(fs.readFileSync(path.join(dir, file), 'utf8'))).toEqual([]);
    });
  }
  it('ordinary data fields, namespace, dict literals and string methods stay safe', () => {
    for (const t of [
      "{% set ns = namespace(found=false, s='') %}{% for m in messages %}{% set ns.s = ns.s ~ m.content %}{% endfor %}{{ ns.s }}",
      "{{ message.content.split('</think>')[-1].lstrip('\\n') }}",
      "{% for k, v in tool.parameters.properties | items %}{{ k }}: {{ v['type'] }}{% endfor %}",
      "{{ messages[0]['role'] == 'system' }}{{ roles['system'] }}",
      "{{ tool_call.function.arguments | tojson }}{{ message.tool_calls[0].id }}",
      '{{ "__" }}{{ message.name }}',
      "{{ dict(role='user', content='x') | tojson }}",
    ]) {
      expect({ t, f: severities(t) }).toEqual({ t, f: [] });
    }
  });
});

describe('chat template analysis: injection payloads', () => {
  const critical: Array<[string, string]> = [
    ['direct globals chain', "{{ self.__init__.__globals__.__builtins__.__import__('os').popen('id').read() }}"],
    [
      'CVE-2024-34359 PoC',
      '{% for x in ().__class__.__base__.__subclasses__() %}{% if "warning" in x.__name__ %}{{x()._module.__builtins__[\'__import__\'](\'os\').popen("touch /tmp/retr0reg")}}{%endif%}{% endfor %}',
    ],
    ['attr with ~ concatenation', "{{ ()|attr('__cla'~'ss__')|attr('__ba'~'se__')|attr('__subcla'~'sses__')() }}"],
    ['attr with + concatenation', "{{ ()|attr('__cla' + 'ss__') }}"],
    ['list join', "{{ ()|attr(['_','_','class','_','_']|join) }}"],
    ['dict keys join', '{{ ()|attr(dict(__cla=1,ss__=1)|join) }}'],
    ['%c format filter', "{{ ()|attr('%c%cclass%c%c'|format(95,95,95,95)) }}"],
    ['% operator', "{{ ()|attr('%sclass%s' % ('__', '__')) }}"],
    ['slice reversal', "{{ ()|attr('__ssalc__'[::-1]) }}"],
    ['reverse filter', "{{ ()|attr('__ssalc__'|reverse) }}"],
    ['hex escapes in item key', "{{ ()['\\x5f\\x5fclass\\x5f\\x5f'] }}"],
    ['set variables', "{% set a = '__cla' %}{% set b = 'ss__' %}{{ ()|attr(a ~ b) }}"],
    [
      'namespace accumulation in a loop',
      "{% set ns = namespace(s='') %}{% for c in ['__cl','ass__'] %}{% set ns.s = ns.s ~ c %}{% endfor %}{{ ()|attr(ns.s) }}",
    ],
    ['replace filter', "{{ ()|attr('xxclassxx'|replace('x','_')) }}"],
    ['str.format', "{{ ()|attr('{0}class{0}'.format('__')) }}"],
    ['string multiplication', "{{ ()|attr('_'*2 ~ 'class' ~ '_'*2) }}"],
    ['format field attribute', "{{ '{0.__class__}'.format(messages) }}"],
    ['map attribute', "{{ messages|map(attribute='__class__')|list }}"],
    ['lipsum globals', "{{ lipsum.__globals__['os'].popen('id').read() }}"],
    ['cycler init', '{{ cycler.__init__.__globals__.os.popen("id").read() }}'],
    ['joiner', '{{ joiner.__init__.__globals__ }}'],
    ['namespace internals', '{{ namespace.__init__.__globals__ }}'],
    ['os name', "{{ os.popen('id').read() }}"],
    ['eval', "{{ eval('1+1') }}"],
    ['named unicode escapes', "{{ ()|attr('\\N{LOW LINE}\\N{LOW LINE}class\\N{LOW LINE}\\N{LOW LINE}') }}"],
    ['upper/lower tricks', "{{ ()|attr('__CLASS__'|lower) }}"],
    ['getitem on subclasses', "{{ ''['__cla''ss__'] }}"],
    ['broken tag still analysed', "{{ x.__class__.__mro__ ) }}"],
    ['request config', "{{ request.application.__globals__.__builtins__ }}"],
    ['join method', "{{ ()|attr(''.join(['__','class','__'])) }}"],
    ['first/last filters', "{% set x = ['__class__'] %}{{ ()|attr(x|first) }}"],
    ['set block and with', "{% with a='__cla', b='ss__' %}{{ ()|attr(a~b) }}{% endwith %}"],
  ];
  for (const [name, t] of critical) {
    it(`flags ${name} as critical`, () => {
      expect(worst(t)).toBe('critical');
    });
  }

  it('flags entry-point globals without dunders as high', () => {
    expect(severities('{{ cycler }}')).toEqual(['TEST_CHAT_TEMPLATE_SUSPICIOUS_GLOBAL:high']);
    expect(severities('{{ self }}')).toEqual(['TEST_CHAT_TEMPLATE_SUSPICIOUS_GLOBAL:high']);
    expect(severities('{{ range.x }}')).toEqual(['TEST_CHAT_TEMPLATE_SUSPICIOUS_GLOBAL:high']);
  });

  it('flags private attributes, computed attribute names and template loading', () => {
    expect(worst('{{ x._module }}')).toBe('high');
    expect(severities("{{ x|attr(messages[0]['content']) }}")).toEqual(['TEST_CHAT_TEMPLATE_DYNAMIC_ATTRIBUTE:medium']);
    expect(severities("{% include 'x.j2' %}")).toEqual(['TEST_CHAT_TEMPLATE_TEMPLATE_LOADING:medium']);
  });

  it('flags internal names assembled from pieces even when not used for access', () => {
    expect(worst("{% set x = '__cla' ~ 'ss__' %}{{ x }}")).toBe('high');
    expect(worst("{% for c in ['__subcla', 'sses__'] %}{{ c }}{% endfor %}")).toBe('high');
  });

  it('gives locations as template line and column', () => {
    const f = analyzeChatTemplate('hello\n  {{ x.__class__ }}', { ...opts, member: 'm' });
    expect(f[0].location).toEqual({ path: 'chat_template:2:8', member: 'm' });
    expect(f[0].cwe).toContain('CWE-94');
    expect(f[0].atlas).toEqual(['AML.T0011.000', 'AML.T0010.003']);
  });

  it('stays bounded on hostile input', () => {
    const deep = `{{ ${'('.repeat(5000)}1${')'.repeat(5000)} }}`;
    expect(() => analyzeChatTemplate(deep, opts)).not.toThrow();
    const wide = `{% set a = 'x' %}${"{% set a = a ~ a %}".repeat(200)}{{ a }}`;
    const t0 = Date.now();
    analyzeChatTemplate(wide, opts);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

describe('chat template analysis robustness', () => {
  it('never throws on mutated real templates', () => {
    let s = 12345;
    const rand = () => {
      s = (s * 1664525 + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
    const alphabet = "{}%#-+()[]'\"|.~_ \n\\xabc0123456789";
    for (const file of fs.readdirSync(dir).filter(f => f.endsWith('.jinja'))) {
      const src = fs.readFileSync(path.join(dir, file), 'utf8');
      for (let k = 0; k < 40; k++) {
        const chars = [...src];
        for (let j = 0; j < 6; j++) chars[Math.floor(rand() * chars.length)] = alphabet[Math.floor(rand() * alphabet.length)];
        const mutated = chars.join('');
        expect(() => analyzeChatTemplate(mutated, opts)).not.toThrow();
      }
    }
  });
});

describe('chat template analysis: captured blocks and tuples', () => {
  it('folds {% set %} blocks and text macros', () => {
    expect(worst('{% set a %}__cla{% endset %}{% set b %}ss__{% endset %}{{ ()|attr(a ~ b) }}')).toBe('critical');
    expect(worst('{% macro a() %}__cla{# hidden #}ss__{% endmacro %}{{ ()|attr(a()) }}')).toBe('critical');
    expect(severities('{% set a %}Hello {{ name }}{% endset %}{{ a }}')).toEqual([]);
  });
  it('parses implicit tuples', () => {
    expect(severities('{% set a, b = 1, 2 %}{% for x in a, b %}{{ x }}{% endfor %}{{ a, b }}')).toEqual([]);
    expect(worst("{% set a, b = '__cla', 'ss__' %}{{ ()|attr(a ~ b) }}")).toBe('critical');
  });
  it('does not treat ordinary variable names such as input or open as dangerous', () => {
    expect(severities('{{ input }}{{ open }}{{ vars }}')).toEqual([]);
  });
});

describe('chat template analysis: prose is not a payload', () => {
  it('does not flag system prompts that mention Python internals in text', () => {
    const t = "{{ 'You can run Python. Example: class A:\\n    def __init__(self): pass' }}{{ 'Use ' + 'if __name__ == \"__main__\": main()' }}";
    expect(severities(t)).toEqual([]);
  });
});

describe('chat template analysis: characters picked out of object text', () => {
  it('flags attribute names assembled from characters of object representations', () => {
    expect(worst("{% set u = (()|select|string)[24] %}{{ ()|attr(u ~ u ~ 'class' ~ u ~ u) }}")).toBe('critical');
    expect(worst("{% set u = (x|string|list)|first %}{{ ()|attr(u*2 ~ 'globals' ~ u*2) }}")).toBe('critical');
  });
  it('does not flag ordinary use of |string', () => {
    expect(severities("{{ (message.content|string)[0] }}{{ messages[0]['content']|string }}")).toEqual([]);
  });
});

describe('chat template analysis: calls through item access', () => {
  it("flags x['system']('id') but not roles['system']", () => {
    expect(worst("{{ x['system']('id') }}")).toBe('critical');
    expect(severities("{{ roles['system'] }}")).toEqual([]);
  });
});

describe('chat template size bound', () => {
  it('reports templates over 1 MB instead of analysing them', () => {
    expect(severities('x'.repeat(1024 * 1024 + 1))).toEqual(['TEST_CHAT_TEMPLATE_TOO_LARGE:medium']);
  });
});
