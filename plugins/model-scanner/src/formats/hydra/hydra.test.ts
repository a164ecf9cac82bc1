import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { scanBuffer } from '../../engine';
import { buildTar } from '../../testing/pickleBuilder';
import { analyzeHydraTargets } from '.';

import { BENIGN_FIXTURES as FIXTURES, rulesOf } from '../../testing/results';

/** Shaped like the model_config.yaml of a NeMo ASR checkpoint. */
const NEMO_CONFIG = `sample_rate: 16000
log_prediction: true
preprocessor:
  _target_: nemo.collections.asr.modules.AudioToMelSpectrogramPreprocessor
  sample_rate: 16000
  normalize: per_feature
  window_size: 0.025
encoder:
  _target_: nemo.collections.asr.modules.ConformerEncoder
  feat_in: 80
  n_layers: 2
decoder:
  _target_: "nemo.collections.asr.modules.ConvASRDecoder"
  num_classes: 128
optim:
  name: adamw
  lr: 0.001
  sched:
    name: CosineAnnealing
train_ds:
  manifest_filepath: null
  # _target_: os.system would be a comment, not a target
spec_augment:
  _target_: 'nemo.collections.asr.modules.SpectrogramAugmentation'
loss: {_target_: torch.nn.CTCLoss, blank: 0}
target: nemo.collections.asr.models.ctc_bpe_models.EncDecCTCModelBPE
`;

function nemo(config: string, gzip = false) {
  const tar = buildTar([
    { name: './model_config.yaml', data: Buffer.from(config) },
    {
      name: './model_weights.ckpt',
      data: fs.readFileSync(path.join(FIXTURES, 'torch_state_dict.pt')),
    },
    { name: './tokenizer.model', data: Buffer.from('') },
  ]);
  return gzip ? zlib.gzipSync(tar) : tar;
}

describe('Hydra / NeMo _target_', () => {
  it('keeps a real-shaped NeMo checkpoint safe (tar and tar.gz)', async () => {
    for (const gz of [false, true]) {
      const r = await scanBuffer('asr.nemo', nemo(NEMO_CONFIG, gz));
      expect({
        gz,
        verdict: r.verdict,
        findings: r.findings.filter(f => f.severity !== 'none'),
        errors: r.errors,
      }).toEqual({
        gz,
        verdict: 'safe',
        findings: [],
        errors: [],
      });
    }
  });

  it.each([
    ['os.system', `cmd:\n  _target_: os.system\n  command: id\n`, 'critical'],
    [
      'builtins.eval',
      `x: {_target_: builtins.eval, _args_: ["__import__('os')"]}\n`,
      'critical',
    ],
    [
      'a resolver gadget',
      `x:\n  _target_: hydra.utils.get_method\n  path: posix.system\n`,
      'critical',
    ],
    [
      'torch.load',
      `w:\n  _target_: torch.load\n  f: /tmp/evil.pt\n`,
      'critical',
    ],
    [
      'a loader gadget inside NeMo',
      `m:\n  _target_: nemo.core.classes.common.Serialization.load\n`,
      'critical',
    ],
    ['an unknown package', `m:\n  _target_: acme_tools.Runner\n`, 'high'],
    ['an interpolated target', `m:\n  _target_: \${oc.env:TARGET}\n`, 'high'],
  ])('flags %s', async (_label, extra, severity) => {
    const r = await scanBuffer('asr.nemo', nemo(`${NEMO_CONFIG}${extra}`));
    const f = r.findings.find(x => x.ruleId.startsWith('HYDRA_'))!;
    expect(f).toBeDefined();
    expect(f.severity).toBe(severity);
    expect(f.location?.member).toBe('./model_config.yaml');
    expect(r.verdict).toBe(
      severity === 'critical' ? 'malicious' : 'suspicious',
    );
  });

  it('reads JSON configs and targets past the first 4 KiB', async () => {
    const json = JSON.stringify({
      pad: 'x'.repeat(8000),
      model: { _target_: 'subprocess.Popen', args: ['id'] },
    });
    const r = await scanBuffer('config.json', Buffer.from(json));
    expect(rulesOf(r)).toContain('HYDRA_DANGEROUS_TARGET');
    const benign = JSON.stringify({
      model: { _target_: 'torch.optim.AdamW', lr: 0.1 },
    });
    expect(
      (await scanBuffer('config.json', Buffer.from(benign))).findings,
    ).toEqual([]);
  });

  it('ignores the word in prose and keys that merely contain it', () => {
    expect(
      analyzeHydraTargets(
        'my_target_: os.system\nnote: "uses _target_ keys"\n',
      ),
    ).toEqual([]);
  });
});

describe('YAML comments', () => {
  it('are blanked outside quotes only, so a quoted # cannot hide a target', () => {
    expect(
      analyzeHydraTargets(`a: {note: "x #y", _target_: os.system}\n`).map(
        t => t.target,
      ),
    ).toEqual(['os.system']);
    expect(
      analyzeHydraTargets(
        `# _target_: os.system\nb: 1 # _target_: os.system\n`,
      ),
    ).toEqual([]);
    expect(
      analyzeHydraTargets(`{"n": "a #b", "_target_": "os.system"}`).map(
        t => t.target,
      ),
    ).toEqual(['os.system']);
  });
});

describe('fuzzing', () => {
  it('never throws on mutated configs and stays fast', () => {
    let seed = 0x4a11;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const base = `${NEMO_CONFIG}x: {_target_: "os.system", a: '#'}\n`;
    const alphabet = `"'#\\\n :{}[],-_target_$`;
    const started = Date.now();
    for (let i = 0; i < 2000; i++) {
      const chars = base.split('');
      for (let k = 0; k < 6; k++)
        chars.splice(
          Math.floor(rand() * chars.length),
          Math.floor(rand() * 3),
          alphabet[Math.floor(rand() * alphabet.length)],
        );
      expect(Array.isArray(analyzeHydraTargets(chars.join('')))).toBe(true);
    }
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
