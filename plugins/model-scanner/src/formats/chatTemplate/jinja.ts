/**
 * A small Jinja2 lexer and parser (the subset of the grammar a template can use, in full:
 * {{ }}, {% %}, {# #}, raw blocks, whitespace control, every expression form: literals with
 * Python string escapes, names, attribute / item / slice access, calls with keyword and
 * star arguments, filters, tests, unary / binary / comparison / boolean operators, the
 * conditional expression, list / tuple / dict literals). Statements are kept as a flat list
 * of tags with their expressions; block structure is not needed for the analysis.
 */

export interface Pos {
  line: number;
  col: number;
}

export type Expr =
  | { t: 'const'; value: string | number | boolean | null; pos: Pos }
  | { t: 'name'; name: string; pos: Pos }
  | { t: 'getattr'; obj: Expr; attr: string; pos: Pos }
  | { t: 'getitem'; obj: Expr; key: Expr; pos: Pos }
  | { t: 'slice'; start?: Expr; stop?: Expr; step?: Expr; pos: Pos }
  | { t: 'call'; fn: Expr; args: Expr[]; kwargs: Array<{ name: string; value: Expr }>; dynArgs?: Expr; dynKwargs?: Expr; pos: Pos }
  | { t: 'filter'; node: Expr | undefined; name: string; args: Expr[]; kwargs: Array<{ name: string; value: Expr }>; pos: Pos }
  | { t: 'test'; node: Expr; name: string; args: Expr[]; negated: boolean; pos: Pos }
  | { t: 'binop'; op: string; left: Expr; right: Expr; pos: Pos }
  | { t: 'unop'; op: string; node: Expr; pos: Pos }
  | { t: 'cond'; test: Expr; then: Expr; else?: Expr; pos: Pos }
  | { t: 'list' | 'tuple'; items: Expr[]; pos: Pos }
  | { t: 'dict'; items: Array<{ key: Expr; value: Expr }>; pos: Pos };

export interface Tag {
  kind: 'output' | 'stmt';
  /** statement keyword ("set", "for", "if", ...) or "output" */
  tag: string;
  pos: Pos;
  /** expressions evaluated by the tag */
  exprs: Expr[];
  /** names / attribute targets assigned ("set x", "for a, b in", macro params, "with") */
  targets: Expr[];
  /** the iterable, for "for" */
  iter?: Expr;
  /** assigned value, for "set x = value" */
  value?: Expr;
  /** raw tokens (for fallback analysis when parsing failed) */
  tokens: Token[];
  /** template data between the previous tag and this one */
  textBefore?: string;
  error?: string;
}

export interface Token {
  type: 'name' | 'string' | 'number' | 'op';
  value: string;
  num?: number;
  pos: Pos;
}

export interface ParsedTemplate {
  tags: Tag[];
  errors: Array<{ message: string; pos: Pos }>;
}

export class TemplateSyntaxError extends Error {
  constructor(message: string, readonly pos: Pos) {
    super(`${message} at line ${pos.line} column ${pos.col}`);
  }
}

const NAMED_CHARS: Record<string, string> = {
  'LOW LINE': '_',
  'FULL STOP': '.',
  SPACE: ' ',
  'LEFT PARENTHESIS': '(',
  'RIGHT PARENTHESIS': ')',
  APOSTROPHE: "'",
  'QUOTATION MARK': '"',
};

/** Decodes a Python string literal body the way Jinja does ("unicode-escape"). */
export function decodePythonEscapes(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\' || i + 1 >= body.length) {
      out += c;
      continue;
    }
    const e = body[++i];
    switch (e) {
      case '\n': break;
      case '\\': out += '\\'; break;
      case "'": out += "'"; break;
      case '"': out += '"'; break;
      case 'a': out += '\x07'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case 'x': case 'u': case 'U': {
        const len = ({ x: 2, u: 4, U: 8 } as Record<string, number>)[e];
        const hex = body.slice(i + 1, i + 1 + len);
        if (/^[0-9a-fA-F]+$/.test(hex) && hex.length === len) {
          const cp = parseInt(hex, 16);
          out += cp <= 0x10ffff ? String.fromCodePoint(cp) : '';
          i += len;
        } else out += `\\${e}`;
        break;
      }
      case 'N': {
        const m = /^\{([^}]*)\}/.exec(body.slice(i + 1));
        if (m) {
          const name = m[1].toUpperCase();
          const letter = /^LATIN (SMALL|CAPITAL) LETTER ([A-Z])$/.exec(name);
          const digit = /^DIGIT (ZERO|ONE|TWO|THREE|FOUR|FIVE|SIX|SEVEN|EIGHT|NINE)$/.exec(name);
          if (letter) out += letter[1] === 'SMALL' ? letter[2].toLowerCase() : letter[2];
          else if (digit) out += String(['ZERO', 'ONE', 'TWO', 'THREE', 'FOUR', 'FIVE', 'SIX', 'SEVEN', 'EIGHT', 'NINE'].indexOf(digit[1]));
          else out += NAMED_CHARS[name] ?? '\uFFFD';
          i += m[0].length;
        } else out += '\\N';
        break;
      }
      default:
        if (/[0-7]/.test(e)) {
          const m = /^[0-7]{1,3}/.exec(body.slice(i))!;
          out += String.fromCharCode(parseInt(m[0], 8));
          i += m[0].length - 1;
        } else out += `\\${e}`;
    }
  }
  return out;
}

const NUMBER_RE = /0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|\d(?:_?\d)*(?:\.\d(?:_?\d)*)?(?:[eE][+-]?\d(?:_?\d)*)?/y;

function isNameStart(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code >= 0xc0;
}

function isNamePart(code: number): boolean {
  return isNameStart(code) || (code >= 48 && code <= 57);
}

const OPERATORS = ['//', '**', '==', '!=', '<=', '>=', '+', '-', '*', '/', '%', '~', '<', '>', '(', ')', '[', ']', '{', '}', ',', '.', ':', '|', '=', ';'];

/** Splits a template into tags, each with its tokens. */
export interface RawTag {
  kind: 'output' | 'stmt';
  tokens: Token[];
  pos: Pos;
  error?: string;
  textBefore: string;
}

export function lexTemplate(src: string, maxTokens = 500_000): { raw: RawTag[]; errors: Array<{ message: string; pos: Pos }> } {
  const lineStarts = [0];
  for (let k = 0; k < src.length; k++) if (src.charCodeAt(k) === 10) lineStarts.push(k + 1);
  const posOf = (offset: number): Pos => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - lineStarts[lo] + 1 };
  };
  const raw: RawTag[] = [];
  let textStart = 0;
  let pendingText = '';
  const errors: Array<{ message: string; pos: Pos }> = [];
  let tokenCount = 0;
  let i = 0;
  const openRe = /\{[{%#]/g;
  while (i < src.length) {
    openRe.lastIndex = i;
    const m = openRe.exec(src);
    if (!m) break;
    const start = m.index;
    const kind = m[0][1];
    let j = start + 2;
    const textBefore = pendingText + src.slice(textStart, start);
    if (kind === '#') {
      const close = src.indexOf('#}', j);
      if (close < 0) {
        errors.push({ message: 'unterminated comment', pos: posOf(start) });
        break;
      }
      i = close + 2;
      pendingText = textBefore.slice(0, 4096);
      textStart = i;
      continue;
    }
    pendingText = '';
    if (src[j] === '-' || src[j] === '+') j++;
    const tokens: Token[] = [];
    const stack: string[] = [];
    let closed = false;
    let error: string | undefined;
    while (j < src.length) {
      const c = src[j];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
        j++;
        continue;
      }
      if (stack.length === 0) {
        const k = c === '-' || c === '+' ? j + 1 : j;
        const closer = kind === '{' ? '}}' : '%}';
        if (src.startsWith(closer, k)) {
          j = k + 2;
          closed = true;
          break;
        }
      }
      const p = posOf(j);
      if (++tokenCount > maxTokens) {
        error = 'template too large';
        break;
      }
      if (c === "'" || c === '"') {
        const strRe = c === "'" ? /'((?:[^'\\]|\\[\s\S])*)'/y : /"((?:[^"\\]|\\[\s\S])*)"/y;
        strRe.lastIndex = j;
        const sm = strRe.exec(src);
        if (!sm) {
          error = 'unterminated string';
          break;
        }
        tokens.push({ type: 'string', value: decodePythonEscapes(sm[1]), pos: p });
        j += sm[0].length;
        continue;
      }
      if (isNameStart(src.charCodeAt(j))) {
        let e = j + 1;
        while (e < src.length && isNamePart(src.charCodeAt(e))) e++;
        tokens.push({ type: 'name', value: src.slice(j, e), pos: p });
        j = e;
        continue;
      }
      NUMBER_RE.lastIndex = j;
      const num = c >= '0' && c <= '9' ? NUMBER_RE.exec(src) : null;
      if (num) {
        const text = num[0].replace(/_/g, '');
        const value = /^0[xob]/i.test(text) ? Number(text) : parseFloat(text);
        tokens.push({ type: 'number', value: num[0], num: value, pos: p });
        j += num[0].length;
        continue;
      }
      const at = j;
      const op = OPERATORS.find(o => src.startsWith(o, at));
      if (!op) {
        error = `unexpected character ${JSON.stringify(c)}`;
        j++;
        continue;
      }
      if (op === '(' || op === '[' || op === '{') stack.push(op);
      else if (op === ')' || op === ']' || op === '}') stack.pop();
      tokens.push({ type: 'op', value: op, pos: p });
      j += op.length;
    }
    if (!closed && !error) error = `unterminated ${kind === '{' ? 'expression' : 'statement'}`;
    const tagPos = posOf(start);
    if (error) errors.push({ message: error, pos: tagPos });
    raw.push({ kind: kind === '{' ? 'output' : 'stmt', tokens, pos: tagPos, error, textBefore: textBefore.slice(0, 4096) });
    i = j;
    textStart = j;
    // raw blocks: skip to endraw
    if (kind === '%' && tokens.length === 1 && tokens[0].type === 'name' && tokens[0].value === 'raw') {
      const endRaw = /\{%[-+]?\s*endraw\s*[-+]?%\}/g;
      endRaw.lastIndex = i;
      const er = endRaw.exec(src);
      if (!er) {
        errors.push({ message: 'unterminated raw block', pos: tagPos });
        break;
      }
      i = er.index + er[0].length;
      textStart = i;
    }
    if (tokenCount > maxTokens) break;
  }
  return { raw, errors };
}

class TagParser {
  private i = 0;
  private depth = 0;
  constructor(private readonly toks: Token[], private readonly endPos: Pos) {}

  get done() {
    return this.i >= this.toks.length;
  }
  peek(k = 0): Token | undefined {
    return this.toks[this.i + k];
  }
  next(): Token {
    const t = this.toks[this.i++];
    if (!t) throw new TemplateSyntaxError('unexpected end of tag', this.endPos);
    return t;
  }
  isOp(v: string, k = 0) {
    const t = this.peek(k);
    return !!t && t.type === 'op' && t.value === v;
  }
  isName(v?: string, k = 0) {
    const t = this.peek(k);
    return !!t && t.type === 'name' && (v === undefined || t.value === v);
  }
  expectOp(v: string): Token {
    const t = this.next();
    if (t.type !== 'op' || t.value !== v) throw new TemplateSyntaxError(`expected '${v}', got '${t.value}'`, t.pos);
    return t;
  }
  expectName(v?: string): Token {
    const t = this.next();
    if (t.type !== 'name' || (v !== undefined && t.value !== v)) throw new TemplateSyntaxError(`expected ${v ?? 'a name'}, got '${t.value}'`, t.pos);
    return t;
  }
  skipOp(v: string): boolean {
    if (this.isOp(v)) {
      this.i++;
      return true;
    }
    return false;
  }
  skipName(v: string): boolean {
    if (this.isName(v)) {
      this.i++;
      return true;
    }
    return false;
  }
  end() {
    const t = this.peek();
    if (t) throw new TemplateSyntaxError(`unexpected '${t.value}'`, t.pos);
  }
  rest(): Token[] {
    return this.toks.slice(this.i);
  }

  /** an expression, or an implicit tuple "a, b" (set values, for iterables, output) */
  tupleOrExpression(withCondexpr = true): Expr {
    const first = this.expression(withCondexpr);
    if (!this.isOp(',')) return first;
    const items = [first];
    while (this.skipOp(',')) {
      if (this.done || this.isName('if') || this.isName('recursive')) break;
      items.push(this.expression(withCondexpr));
    }
    return { t: 'tuple', items, pos: first.pos };
  }

  // expression := condexpr
  expression(withCondexpr = true): Expr {
    if (++this.depth > 200) throw new TemplateSyntaxError('expression nested too deeply', this.peek()?.pos ?? this.endPos);
    try {
      const e = this.or();
      if (withCondexpr && this.isName('if')) {
        const pos = this.next().pos;
        const test = this.or();
        let otherwise: Expr | undefined;
        if (this.skipName('else')) otherwise = this.expression();
        return { t: 'cond', test, then: e, else: otherwise, pos };
      }
      return e;
    } finally {
      this.depth--;
    }
  }
  private or(): Expr {
    let l = this.and();
    while (this.isName('or')) {
      const pos = this.next().pos;
      l = { t: 'binop', op: 'or', left: l, right: this.and(), pos };
    }
    return l;
  }
  private and(): Expr {
    let l = this.not();
    while (this.isName('and')) {
      const pos = this.next().pos;
      l = { t: 'binop', op: 'and', left: l, right: this.not(), pos };
    }
    return l;
  }
  private not(): Expr {
    if (this.isName('not')) {
      const pos = this.next().pos;
      return { t: 'unop', op: 'not', node: this.not(), pos };
    }
    return this.compare();
  }
  private compare(): Expr {
    let l = this.math1();
    for (;;) {
      const t = this.peek();
      if (!t) return l;
      if (t.type === 'op' && ['==', '!=', '<', '>', '<=', '>='].includes(t.value)) {
        this.i++;
        l = { t: 'binop', op: t.value, left: l, right: this.math1(), pos: t.pos };
      } else if (this.isName('in')) {
        this.i++;
        l = { t: 'binop', op: 'in', left: l, right: this.math1(), pos: t.pos };
      } else if (this.isName('not') && this.isName('in', 1)) {
        this.i += 2;
        l = { t: 'binop', op: 'not in', left: l, right: this.math1(), pos: t.pos };
      } else return l;
    }
  }
  private math1(): Expr {
    let l = this.concat();
    while (this.isOp('+') || this.isOp('-')) {
      const t = this.next();
      l = { t: 'binop', op: t.value, left: l, right: this.concat(), pos: t.pos };
    }
    return l;
  }
  private concat(): Expr {
    let l = this.math2();
    while (this.isOp('~')) {
      const t = this.next();
      l = { t: 'binop', op: '~', left: l, right: this.math2(), pos: t.pos };
    }
    return l;
  }
  private math2(): Expr {
    let l = this.pow();
    while (this.isOp('*') || this.isOp('/') || this.isOp('//') || this.isOp('%')) {
      const t = this.next();
      l = { t: 'binop', op: t.value, left: l, right: this.pow(), pos: t.pos };
    }
    return l;
  }
  private pow(): Expr {
    let l = this.unary();
    while (this.isOp('**')) {
      const t = this.next();
      l = { t: 'binop', op: '**', left: l, right: this.unary(), pos: t.pos };
    }
    return l;
  }
  private unary(withFilter = true): Expr {
    let node: Expr;
    if (this.isOp('-') || this.isOp('+')) {
      const t = this.next();
      node = { t: 'unop', op: t.value, node: this.unary(false), pos: t.pos };
    } else {
      node = this.primary();
    }
    node = this.postfix(node);
    if (withFilter) node = this.filterExpr(node);
    return node;
  }
  private primary(): Expr {
    const t = this.next();
    if (t.type === 'name') {
      if (t.value === 'true' || t.value === 'True') return { t: 'const', value: true, pos: t.pos };
      if (t.value === 'false' || t.value === 'False') return { t: 'const', value: false, pos: t.pos };
      if (t.value === 'none' || t.value === 'None') return { t: 'const', value: null, pos: t.pos };
      return { t: 'name', name: t.value, pos: t.pos };
    }
    if (t.type === 'string') {
      let value = t.value;
      while (this.peek()?.type === 'string') value += this.next().value; // adjacent literals concatenate
      return { t: 'const', value, pos: t.pos };
    }
    if (t.type === 'number') return { t: 'const', value: t.num ?? 0, pos: t.pos };
    if (t.value === '(') {
      if (this.skipOp(')')) return { t: 'tuple', items: [], pos: t.pos };
      const first = this.expression();
      if (this.skipOp(')')) return first;
      const items = [first];
      while (this.skipOp(',')) {
        if (this.isOp(')')) break;
        items.push(this.expression());
      }
      this.expectOp(')');
      return { t: 'tuple', items, pos: t.pos };
    }
    if (t.value === '[') {
      const items: Expr[] = [];
      while (!this.isOp(']')) {
        items.push(this.expression());
        if (!this.skipOp(',')) break;
      }
      this.expectOp(']');
      return { t: 'list', items, pos: t.pos };
    }
    if (t.value === '{') {
      const items: Array<{ key: Expr; value: Expr }> = [];
      while (!this.isOp('}')) {
        const key = this.expression();
        this.expectOp(':');
        items.push({ key, value: this.expression() });
        if (!this.skipOp(',')) break;
      }
      this.expectOp('}');
      return { t: 'dict', items, pos: t.pos };
    }
    throw new TemplateSyntaxError(`unexpected '${t.value}'`, t.pos);
  }
  private postfix(input: Expr): Expr {
    let node = input;
    for (;;) {
      const t = this.peek();
      if (!t || t.type !== 'op') return node;
      if (t.value === '.') {
        this.i++;
        const a = this.next();
        if (a.type === 'name') node = { t: 'getattr', obj: node, attr: a.value, pos: a.pos };
        else if (a.type === 'number') node = { t: 'getitem', obj: node, key: { t: 'const', value: a.num ?? 0, pos: a.pos }, pos: a.pos };
        else throw new TemplateSyntaxError('expected attribute name', a.pos);
      } else if (t.value === '[') {
        this.i++;
        const keys: Expr[] = [];
        while (!this.isOp(']')) {
          keys.push(this.subscribed());
          if (!this.skipOp(',')) break;
        }
        this.expectOp(']');
        const key: Expr = keys.length === 1 ? keys[0] : { t: 'tuple', items: keys, pos: t.pos };
        node = { t: 'getitem', obj: node, key, pos: t.pos };
      } else if (t.value === '(') {
        node = this.call(node);
      } else return node;
    }
  }
  private subscribed(): Expr {
    const pos = this.peek()?.pos ?? this.endPos;
    let start: Expr | undefined;
    if (!this.isOp(':')) {
      start = this.expression();
      if (!this.isOp(':')) return start;
    }
    this.expectOp(':');
    let stop: Expr | undefined;
    let step: Expr | undefined;
    if (!this.isOp(']') && !this.isOp(',') && !this.isOp(':')) stop = this.expression();
    if (this.skipOp(':')) {
      if (!this.isOp(']') && !this.isOp(',')) step = this.expression();
    }
    return { t: 'slice', start, stop, step, pos };
  }
  private callArgs(): { args: Expr[]; kwargs: Array<{ name: string; value: Expr }>; dynArgs?: Expr; dynKwargs?: Expr } {
    this.expectOp('(');
    const args: Expr[] = [];
    const kwargs: Array<{ name: string; value: Expr }> = [];
    let dynArgs: Expr | undefined;
    let dynKwargs: Expr | undefined;
    while (!this.isOp(')')) {
      if (this.skipOp('*')) dynArgs = this.expression();
      else if (this.skipOp('**')) dynKwargs = this.expression();
      else if (this.isName() && this.isOp('=', 1)) {
        const name = this.next().value;
        this.i++;
        kwargs.push({ name, value: this.expression() });
      } else args.push(this.expression());
      if (!this.skipOp(',')) break;
    }
    this.expectOp(')');
    return { args, kwargs, dynArgs, dynKwargs };
  }
  private call(fn: Expr): Expr {
    const pos = this.peek()!.pos;
    return { t: 'call', fn, ...this.callArgs(), pos };
  }
  private filterExpr(input: Expr): Expr {
    let node = input;
    for (;;) {
      if (this.isOp('|')) {
        this.i++;
        node = this.filter(node);
      } else if (this.isName('is')) {
        node = this.test(node);
      } else if (this.isOp('(')) {
        node = this.call(node);
      } else return node;
    }
  }
  filter(node: Expr | undefined): Expr {
    const t = this.expectName();
    let name = t.value;
    while (this.isOp('.') && this.isName(undefined, 1)) {
      this.i++;
      name += `.${this.next().value}`;
    }
    let args: Expr[] = [];
    let kwargs: Array<{ name: string; value: Expr }> = [];
    if (this.isOp('(')) ({ args, kwargs } = this.callArgs());
    return { t: 'filter', node, name, args, kwargs, pos: t.pos };
  }
  private test(node: Expr): Expr {
    const pos = this.next().pos; // 'is'
    const negated = this.skipName('not');
    const t = this.expectName();
    let name = t.value;
    while (this.isOp('.') && this.isName(undefined, 1)) {
      this.i++;
      name += `.${this.next().value}`;
    }
    let args: Expr[] = [];
    if (this.isOp('(')) args = this.callArgs().args;
    else {
      const nt = this.peek();
      // a single argument without parentheses: "is divisibleby 3", "is sameas false"
      if (nt && (nt.type === 'number' || nt.type === 'string' || (nt.type === 'name' && !['else', 'or', 'and', 'if', 'in', 'is', 'not'].includes(nt.value)) || (nt.type === 'op' && (nt.value === '[' || nt.value === '{' || nt.value === '(' )))) {
        args = [this.postfix(this.primary())];
      }
    }
    return { t: 'test', node, name, args, negated, pos };
  }
  /** assignment target: name, name.attr, or tuple of names */
  assignTarget(): Expr[] {
    const out: Expr[] = [];
    const one = (): Expr => {
      if (this.skipOp('(')) {
        const inner = this.assignTarget();
        this.expectOp(')');
        return { t: 'tuple', items: inner, pos: inner[0]?.pos ?? this.endPos };
      }
      const t = this.expectName();
      let e: Expr = { t: 'name', name: t.value, pos: t.pos };
      if (this.isOp('.') && this.isName(undefined, 1)) {
        this.i++;
        const a = this.next();
        e = { t: 'getattr', obj: e, attr: a.value, pos: a.pos };
      }
      return e;
    };
    out.push(one());
    while (this.isOp(',')) {
      this.i++;
      if (!this.isName() && !this.isOp('(')) break;
      out.push(one());
    }
    return out;
  }
}

const BLOCK_KEYWORDS_NO_EXPR = new Set([
  'else', 'endif', 'endfor', 'endset', 'endmacro', 'endcall', 'endfilter', 'endwith', 'endblock',
  'endautoescape', 'endtrans', 'endraw', 'break', 'continue', 'generation', 'endgeneration', 'raw', 'pluralize',
]);

function parseTag(rawTag: RawTag): Tag {
  const tag: Tag = { kind: rawTag.kind, tag: 'output', pos: rawTag.pos, exprs: [], targets: [], tokens: rawTag.tokens, textBefore: rawTag.textBefore };
  const p = new TagParser(rawTag.tokens, rawTag.pos);
  if (rawTag.kind === 'output') {
    tag.exprs.push(p.tupleOrExpression());
    p.end();
    return tag;
  }
  const kw = p.expectName();
  tag.tag = kw.value;
  switch (kw.value) {
    case 'if':
    case 'elif':
      tag.exprs.push(p.expression());
      break;
    case 'for': {
      tag.targets = p.assignTarget();
      p.expectName('in');
      tag.iter = p.tupleOrExpression(false);
      tag.exprs.push(tag.iter);
      if (p.skipName('if')) tag.exprs.push(p.expression());
      p.skipName('recursive');
      break;
    }
    case 'set': {
      tag.targets = p.assignTarget();
      if (p.skipOp('=')) {
        tag.value = p.tupleOrExpression();
        tag.exprs.push(tag.value);
      } else {
        while (p.skipOp('|')) tag.exprs.push(p.filter(undefined));
      }
      break;
    }
    case 'macro':
    case 'call': {
      if (kw.value === 'macro') {
        const n = p.expectName();
        tag.targets.push({ t: 'name', name: n.value, pos: n.pos });
      }
      if (p.isOp('(')) {
        p.expectOp('(');
        while (!p.isOp(')')) {
          const n = p.expectName();
          tag.targets.push({ t: 'name', name: n.value, pos: n.pos });
          if (p.skipOp('=')) tag.exprs.push(p.expression());
          if (!p.skipOp(',')) break;
        }
        p.expectOp(')');
      }
      if (kw.value === 'call') tag.exprs.push(p.expression());
      break;
    }
    case 'filter': {
      tag.exprs.push(p.filter(undefined));
      while (p.skipOp('|')) tag.exprs.push(p.filter(undefined));
      break;
    }
    case 'with': {
      while (!p.done) {
        const targets = p.assignTarget();
        tag.targets.push(...targets);
        p.expectOp('=');
        tag.exprs.push(p.expression());
        if (!p.skipOp(',')) break;
      }
      break;
    }
    case 'do':
    case 'autoescape':
    case 'extends':
      tag.exprs.push(p.expression());
      break;
    case 'include':
      tag.exprs.push(p.expression());
      if (p.skipName('ignore')) p.expectName('missing');
      if (p.skipName('with') || p.skipName('without')) p.expectName('context');
      break;
    case 'import': {
      tag.exprs.push(p.expression());
      p.expectName('as');
      const n = p.expectName();
      tag.targets.push({ t: 'name', name: n.value, pos: n.pos });
      if (p.skipName('with') || p.skipName('without')) p.expectName('context');
      break;
    }
    case 'from': {
      tag.exprs.push(p.expression());
      p.expectName('import');
      while (!p.done) {
        if (p.isName('with') || p.isName('without')) {
          p.next();
          p.expectName('context');
          break;
        }
        const n = p.expectName();
        let local = n;
        if (p.skipName('as')) local = p.expectName();
        tag.targets.push({ t: 'name', name: local.value, pos: local.pos });
        tag.exprs.push({ t: 'const', value: n.value, pos: n.pos });
        if (!p.skipOp(',')) break;
      }
      break;
    }
    case 'block': {
      p.expectName();
      p.skipName('scoped');
      p.skipName('required');
      break;
    }
    case 'trans': {
      // {% trans count=x %}: keyword assignments
      while (!p.done) {
        const n = p.expectName();
        tag.targets.push({ t: 'name', name: n.value, pos: n.pos });
        if (p.skipOp('=')) tag.exprs.push(p.expression());
        if (!p.skipOp(',')) break;
      }
      break;
    }
    default:
      if (BLOCK_KEYWORDS_NO_EXPR.has(kw.value)) {
        // "endblock name" is allowed
        if (kw.value === 'endblock') p.skipName(p.peek()?.value ?? '');
        break;
      }
      throw new TemplateSyntaxError(`unknown tag '${kw.value}'`, kw.pos);
  }
  p.end();
  return tag;
}

/** Parses a template into tags; a broken tag is kept (with its tokens and error) and parsing goes on. */
export function parseTemplate(src: string): ParsedTemplate {
  const { raw, errors } = lexTemplate(src);
  const tags: Tag[] = [];
  for (const r of raw) {
    if (r.error) {
      tags.push({ kind: r.kind, tag: '?', pos: r.pos, exprs: [], targets: [], tokens: r.tokens, error: r.error, textBefore: r.textBefore });
      continue;
    }
    try {
      tags.push(parseTag(r));
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      const pos = e instanceof TemplateSyntaxError ? e.pos : r.pos;
      errors.push({ message, pos });
      tags.push({ kind: r.kind, tag: r.tokens[0]?.value ?? '?', pos: r.pos, exprs: [], targets: [], tokens: r.tokens, error: message, textBefore: r.textBefore });
    }
  }
  return { tags, errors };
}
