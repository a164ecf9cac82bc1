/**
 * What a pickle may import. Allowlist by default: only globals that legitimate framework files use
 * are "allowed"; known code-execution primitives are "dangerous"; everything else is "unknown"
 * (suspicious). The deny knowledge only sets severity and explanation.
 */

export type GlobalClass = 'allowed' | 'unknown' | 'dangerous';

export interface Classification {
  level: GlobalClass;
  reason: string;
  /** Which allowlist matched (for allowed). */
  framework?: string;
  /** A loader that deserializes its bytes argument (nested pickle). */
  loader?: boolean;
}

/** Python 2 names mapped the way CPython's fix_imports does (protocol < 3). */
const PY2_MODULES: Record<string, string> = {
  __builtin__: 'builtins',
  copy_reg: 'copyreg',
  cPickle: 'pickle',
  cStringIO: 'io',
  StringIO: 'io',
  exceptions: 'builtins',
  commands: 'subprocess',
  urllib2: 'urllib.request',
  httplib: 'http.client',
  thread: '_thread',
  Queue: 'queue',
};

export function canonicalModule(module: string): string {
  return PY2_MODULES[module] ?? module;
}

/** CPython's _compat_pickle NAME_MAPPING for protocol < 3 pickles written by Python 2. */
const PY2_NAMES: Record<string, [string, string]> = {
  '__builtin__.xrange': ['builtins', 'range'],
  '__builtin__.reduce': ['functools', 'reduce'],
  '__builtin__.intern': ['sys', 'intern'],
  '__builtin__.unichr': ['builtins', 'chr'],
  '__builtin__.unicode': ['builtins', 'str'],
  '__builtin__.long': ['builtins', 'int'],
  '__builtin__.basestring': ['builtins', 'str'],
  'itertools.izip': ['builtins', 'zip'],
  'itertools.imap': ['builtins', 'map'],
  'itertools.ifilter': ['builtins', 'filter'],
  'UserDict.UserDict': ['collections', 'UserDict'],
  'UserList.UserList': ['collections', 'UserList'],
  'UserString.UserString': ['collections', 'UserString'],
  'whichdb.whichdb': ['dbm', 'whichdb'],
};

/** Module and name as CPython's find_class resolves them (Python 2 names mapped). */
export function canonicalGlobal(
  module: string,
  name: string,
): [string, string] {
  return PY2_NAMES[`${module}.${name}`] ?? [canonicalModule(module), name];
}

const TORCH_STORAGES = [
  'Float',
  'Double',
  'Half',
  'BFloat16',
  'Long',
  'Int',
  'Short',
  'Char',
  'Byte',
  'Bool',
  'ComplexFloat',
  'ComplexDouble',
  'QUInt8',
  'QInt8',
  'QInt32',
  'QUInt4x2',
  'QUInt2x4',
  'Untyped',
  'ComplexHalf',
  'Float8_e4m3fn',
  'Float8_e5m2',
].map(s => `${s}Storage`);

const TORCH_DTYPES = [
  'float32',
  'float',
  'float64',
  'double',
  'float16',
  'half',
  'bfloat16',
  'int8',
  'int16',
  'short',
  'int32',
  'int',
  'int64',
  'long',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'bool',
  'complex32',
  'complex64',
  'cfloat',
  'complex128',
  'cdouble',
  'chalf',
  'qint8',
  'quint8',
  'qint32',
  'quint4x2',
  'quint2x4',
  'float8_e4m3fn',
  'float8_e5m2',
  'float8_e4m3fnuz',
  'float8_e5m2fnuz',
  'strided',
  'sparse_coo',
  'sparse_csr',
  'sparse_csc',
  'sparse_bsr',
  'sparse_bsc',
  '_mkldnn',
  'contiguous_format',
  'channels_last',
  'channels_last_3d',
  'preserve_format',
  'Size',
  'device',
  'dtype',
  'layout',
  'memory_format',
  'Tensor',
  'finfo',
  'iinfo',
  'Generator',
];

const NUMPY_SCALARS = [
  'bool_',
  'bool',
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'intc',
  'uintc',
  'int_',
  'uint',
  'longlong',
  'ulonglong',
  'float16',
  'float32',
  'float64',
  'float128',
  'half',
  'single',
  'double',
  'longdouble',
  'complex64',
  'complex128',
  'complex256',
  'csingle',
  'cdouble',
  'clongdouble',
  'str_',
  'bytes_',
  'void',
  'object_',
  'datetime64',
  'timedelta64',
  'ndarray',
  'dtype',
  'matrix',
  'recarray',
  'record',
  'memmap',
  'float_',
  'complex_',
  'unicode_',
];

/** Exact allowed globals, "module.name" → framework. */
const ALLOWED_EXACT = new Map<string, string>();
function allow(framework: string, names: string[]) {
  for (const n of names) ALLOWED_EXACT.set(n, framework);
}

allow('python', [
  'builtins.set',
  'builtins.frozenset',
  'builtins.slice',
  'builtins.complex',
  'builtins.bytearray',
  'builtins.bytes',
  'builtins.str',
  'builtins.int',
  'builtins.float',
  'builtins.bool',
  'builtins.tuple',
  'builtins.list',
  'builtins.dict',
  'builtins.object',
  'builtins.range',
  'builtins.NoneType',
  'builtins.Ellipsis',
  'builtins.NotImplemented',
  'builtins.unicode',
  'builtins.long',
  'collections.OrderedDict',
  'collections.defaultdict',
  'collections.deque',
  'collections.Counter',
  'copyreg._reconstructor',
  '_codecs.encode',
  'codecs.encode',
  'datetime.datetime',
  'datetime.date',
  'datetime.time',
  'datetime.timedelta',
  'datetime.timezone',
  'decimal.Decimal',
  'fractions.Fraction',
  'uuid.UUID',
  'enum.Enum',
  'pathlib.Path',
  'pathlib.PosixPath',
  'pathlib.PurePosixPath',
  'pathlib.WindowsPath',
  'pathlib.PureWindowsPath',
  'pathlib._local.PosixPath',
  'pathlib._local.WindowsPath',
  'argparse.Namespace',
  'types.SimpleNamespace',
  're._compile',
  'typing.Any',
  'typing.Dict',
  'typing.List',
  'typing.Optional',
  'typing.Union',
  'typing.Tuple',
  'builtins.type(None)',
]);
allow('pytorch', [
  ...TORCH_STORAGES.map(s => `torch.${s}`),
  ...TORCH_DTYPES.map(s => `torch.${s}`),
  'torch.storage.UntypedStorage',
  'torch.storage.TypedStorage',
  'torch.storage._load_from_bytes',
  'torch._tensor._rebuild_from_type_v2',
  'torch._tensor._rebuild_from_type',
  'torch.Tensor',
  'torch.nn.parameter.Parameter',
  'torch.nn.parameter.Buffer',
  'torch.nn.parameter.UninitializedParameter',
  'torch.nn.parameter.UninitializedBuffer',
  'torch.serialization._get_layout',
  'torch._utils._rebuild_tensor',
  'torch.autograd.grad_mode.no_grad',
  'torch.nn.utils.parametrize.ParametrizationList',
  'torch.nn.utils.spectral_norm.SpectralNorm',
  'torch.nn.utils.weight_norm.WeightNorm',
  'torch.nn.utils.rnn.PackedSequence',
  'torch.optim.adam.Adam',
  'torch.optim.adamw.AdamW',
  'torch.optim.sgd.SGD',
  'torch.cuda.amp.grad_scaler.GradScaler',
  'torch.amp.grad_scaler.GradScaler',
  'torch.ao.quantization.observer.MinMaxObserver',
  'torch.per_tensor_affine',
  'torch.per_channel_affine',
  'torch.torch_version.TorchVersion',
]);
allow('numpy', [
  'numpy.core.multiarray._reconstruct',
  'numpy._core.multiarray._reconstruct',
  'numpy.core.multiarray.scalar',
  'numpy._core.multiarray.scalar',
  'numpy.core.numeric._frombuffer',
  'numpy._core.numeric._frombuffer',
  'numpy.random._pickle.__randomstate_ctor',
  'numpy.random._pickle.__generator_ctor',
  'numpy.random._pickle.__bit_generator_ctor',
  'numpy.random.mtrand.RandomState',
  'numpy.random._mt19937.MT19937',
  'numpy.random._pcg64.PCG64',
  'numpy.random._generator.Generator',
  'numpy.random.bit_generator.SeedSequence',
  'numpy.random._philox.Philox',
  'numpy.random._sfc64.SFC64',
  'numpy.ma.core._mareconstruct',
  'numpy.ma.core.MaskedArray',
  'numpy.core.records.recarray',
  'numpy.core.memmap.memmap',
  'numpy._core.memmap.memmap',
  'numpy.core.defmatrix.matrix',
  'numpy.matrixlib.defmatrix.matrix',
  ...NUMPY_SCALARS.map(s => `numpy.${s}`),
]);
allow('joblib', [
  'joblib.numpy_pickle.NumpyArrayWrapper',
  'joblib.numpy_pickle_compat.NDArrayWrapper',
  'joblib.numpy_pickle_compat.ZNDArrayWrapper',
  'sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper',
  'sklearn.externals.joblib.numpy_pickle.NDArrayWrapper',
]);
allow('xgboost', [
  'xgboost.sklearn.XGBClassifier',
  'xgboost.sklearn.XGBRegressor',
  'xgboost.sklearn.XGBRanker',
  'xgboost.sklearn.XGBRFClassifier',
  'xgboost.sklearn.XGBRFRegressor',
  'xgboost.core.Booster',
  'xgboost.XGBClassifier',
  'xgboost.XGBRegressor',
]);
allow('lightgbm', [
  'lightgbm.sklearn.LGBMClassifier',
  'lightgbm.sklearn.LGBMRegressor',
  'lightgbm.sklearn.LGBMRanker',
  'lightgbm.basic.Booster',
  'lightgbm.LGBMClassifier',
  'lightgbm.LGBMRegressor',
]);

// Hugging Face / Lightning training metadata stored next to weights (training_args.bin, .ckpt
// hyper-parameters): plain dataclasses and enums, rebuilt with NEWOBJ + BUILD or an enum lookup.
allow('huggingface', [
  'transformers.training_args.TrainingArguments',
  'transformers.training_args_seq2seq.Seq2SeqTrainingArguments',
  'transformers.training_args.OptimizerNames',
  'transformers.trainer_utils.IntervalStrategy',
  'transformers.trainer_utils.SchedulerType',
  'transformers.trainer_utils.HubStrategy',
  'transformers.trainer_utils.SaveStrategy',
  'transformers.trainer_utils.EvaluationStrategy',
  'transformers.trainer_utils.FSDPOption',
  'transformers.debug_utils.DebugOption',
  'transformers.trainer_pt_utils.AcceleratorConfig',
  'transformers.utils.generic.PaddingStrategy',
  'transformers.utils.generic.ExplicitEnum',
  'accelerate.utils.dataclasses.DistributedType',
  'accelerate.state.PartialState',
  'accelerate.utils.dataclasses.DeepSpeedPlugin',
]);
allow('lightning', [
  'pytorch_lightning.utilities.parsing.AttributeDict',
  'lightning.pytorch.utilities.parsing.AttributeDict',
  'lightning.fabric.utilities.data.AttributeDict',
  'lightning_fabric.utilities.data.AttributeDict',
]);

interface PatternRule {
  framework: string;
  test: (module: string, name: string) => boolean;
}

const CLASS_NAME = /^[A-Z][A-Za-z0-9_]*$/;

/** Pattern allowlists: class names under framework packages (never functions, never dunders). */
const ALLOWED_PATTERNS: PatternRule[] = [
  // torch._utils._rebuild_* tensor/parameter reconstructors
  {
    framework: 'pytorch',
    test: (m, n) => m === 'torch._utils' && /^_rebuild_[a-z0-9_]+$/.test(n),
  },
  // nn.Module subclasses of full-model pickles
  {
    framework: 'pytorch',
    test: (m, n) => m.startsWith('torch.nn.modules.') && CLASS_NAME.test(n),
  },
  // functional ops referenced by modules (pure tensor functions)
  {
    framework: 'pytorch',
    test: (m, n) => m === 'torch.nn.functional' && /^[a-z][a-z0-9_]*$/.test(n),
  },
  // numpy dtype classes (numpy >= 1.25 pickles dtypes as numpy.dtypes.Float64DType)
  {
    framework: 'numpy',
    test: (m, n) => m === 'numpy.dtypes' && /^[A-Za-z0-9]+DType$/.test(n),
  },
  // scikit-learn estimators and their helper classes (classes only; test helpers excluded)
  {
    framework: 'scikit-learn',
    test: (m, n) =>
      (m === 'sklearn' || m.startsWith('sklearn.')) &&
      CLASS_NAME.test(n) &&
      !/(^|\.)(_testing|externals|datasets|_build_utils|__check_build)(\.|$)/.test(
        m,
      ),
  },
  // scikit-learn private module-level objects that appear in estimator pickles
  {
    framework: 'scikit-learn',
    test: (m, n) =>
      (m === 'sklearn.tree._tree' ||
        m === 'sklearn.neighbors._kd_tree' ||
        m === 'sklearn.neighbors._ball_tree') &&
      /^(__pyx_unpickle_[A-Za-z0-9_]+|newObj)$/.test(n),
  },
  // gradient-boosting libraries: estimator and booster classes (not trackers, dask/spark glue, plotting)
  {
    framework: 'gradient-boosting',
    test: (m, n) =>
      /^(xgboost(\.(sklearn|core))?|lightgbm(\.(sklearn|basic))?|catboost(\.core)?)$/.test(
        m,
      ) && CLASS_NAME.test(n),
  },
  // quantized / fused / QAT module classes of full-model pickles
  {
    framework: 'pytorch',
    test: (m, n) =>
      /^torch\.(ao\.)?nn\.(quantized|intrinsic|qat|quantizable|sparse)(\.[a-z_]+)*$/.test(
        m,
      ) && CLASS_NAME.test(n),
  },
  // OmegaConf containers in PyTorch Lightning / Hydra checkpoints (hyper-parameters)
  {
    framework: 'omegaconf',
    test: (m, n) => /^omegaconf(\.[a-z_]+)*$/.test(m) && CLASS_NAME.test(n),
  },
  // quantization configs and observers stored with quantized modules
  {
    framework: 'pytorch',
    test: (m, n) =>
      /^torch\.(ao\.)?quantization(\.[a-z_]+)*$/.test(m) && CLASS_NAME.test(n),
  },
  {
    framework: 'scipy',
    test: (m, n) =>
      /^scipy\.sparse(\.[_a-z0-9]+)*$/.test(m) &&
      /^(csr|csc|coo|bsr|dia|dok|lil)_(matrix|array)$/.test(n),
  },
];

/** Modules that are code execution, I/O or import machinery as a whole ("module" or "module.*"). */
const DANGEROUS_MODULES = [
  'os',
  'posix',
  'nt',
  'subprocess',
  '_posixsubprocess',
  'sys',
  'pty',
  'socket',
  '_socket',
  'ctypes',
  '_ctypes',
  'importlib',
  '_imp',
  '_frozen_importlib',
  '_frozen_importlib_external',
  'zipimport',
  'pkgutil',
  'runpy',
  'pip',
  '_pip',
  'ensurepip',
  'venv',
  'shutil',
  'code',
  'codeop',
  'marshal',
  'cProfile',
  'profile',
  'trace',
  'timeit',
  'webbrowser',
  'pdb',
  'bdb',
  'doctest',
  'idlelib',
  'lib2to3',
  'distutils',
  'setuptools',
  '_osx_support',
  '_aix_support',
  'imaplib',
  'nntplib',
  'ftplib',
  'smtplib',
  'poplib',
  'telnetlib',
  'http',
  'urllib',
  'urllib2',
  'httplib',
  'requests',
  'aiohttp',
  'httpx',
  'asyncio',
  'multiprocessing',
  'concurrent',
  'threading',
  '_thread',
  'signal',
  'pickle',
  '_pickle',
  'cloudpickle',
  'dill',
  'shelve',
  'joblib',
  'tempfile',
  'glob',
  'fileinput',
  'io',
  '_io',
  'mmap',
  'tarfile',
  'zipfile',
  'sqlite3',
  '_sqlite3',
  'site',
  'sysconfig',
  'atexit',
  'pydoc',
  '_pyrepl',
  'test',
  'xmlrpc',
  'wsgiref',
  'socketserver',
  'mailcap',
  'crypt',
  'pwd',
  'grp',
  'resource',
  'fcntl',
  'termios',
  'tty',
  'select',
  'selectors',
  'ssl',
  'gc',
  'inspect',
  'builtins',
  '_interpreters',
  '_xxsubinterpreters',
  'interpreters',
  '_winapi',
  'msvcrt',
  'winreg',
  '_winreg',
  'commands',
  'popen2',
  'platform',
  'ctypes.util',
  'faulthandler',
  'tracemalloc',
  'cgi',
  'cgitb',
  'smtpd',
  'asynchat',
  'asyncore',
  'sched',
  'uuid',
  'logging.handlers',
  'logging.config',
  'linecache',
  'operator',
  '_operator',
  'types',
  'numpy.f2py',
  'numpy.distutils',
  'numpy.testing',
  'torch.hub',
  'torch.package',
  'torch.utils.cpp_extension',
  'torch._inductor',
  'torch._dynamo',
  'torch.utils.bottleneck',
  'torch.utils.collect_env',
  'torch.utils.data.datapipes',
  'torch.jit',
  'torch.testing',
  'torch.utils._config_module',
  'torch.fx',
  'torch.distributed',
  'torch.serialization',
  'torch.multiprocessing',
  'torch._export',
  'torch.export',
  'torch.compiler',
  'torch.cuda.nvtx',
  'transformers.agents',
  'transformers.dynamic_module_utils',
  'smolagents',
  'langchain',
  'langchain_experimental',
  'keras',
  'tensorflow',
  'tf_keras',
  'mlflow',
  'pandas.io',
  'IPython',
  'jinja2',
  'yaml',
  'jsonpickle',
];

/** Function names that load serialized data (their bytes arguments are scanned as nested pickles). */
const LOADERS = new Set([
  'pickle.loads',
  'pickle.load',
  '_pickle.loads',
  '_pickle.load',
  'pickle._loads',
  'pickle._load',
  'pickle.Unpickler',
  '_pickle.Unpickler',
  'dill.loads',
  'dill.load',
  'dill._dill.loads',
  'cloudpickle.loads',
  'cloudpickle.load',
  'joblib.load',
  'joblib.numpy_pickle.load',
  'torch.load',
  'torch.serialization.load',
  'torch.serialization._load',
  'numpy.load',
  'numpy.loads',
  'numpy.lib.npyio.load',
  'numpy.lib._npyio_impl.load',
  'marshal.loads',
  'marshal.load',
  'pandas.read_pickle',
  'pandas.io.pickle.read_pickle',
  'torch.storage._load_from_bytes',
  'shelve.open',
  'jsonpickle.decode',
  'yaml.load',
  'yaml.unsafe_load',
]);

/** Exact dangerous globals outside the dangerous modules. */
const DANGEROUS_EXACT = new Set([
  'numpy.load',
  'numpy.loads',
  'numpy.lib.npyio.load',
  'numpy.lib._npyio_impl.load',
  'numpy.fromfile',
  'numpy.tofile',
  'numpy.save',
  'numpy.savetxt',
  'numpy.loadtxt',
  'numpy.genfromtxt',
  'numpy.memmap',
  'numpy.lib.utils.source',
  'numpy.core.overrides.array_function_dispatch',
  'numpy.ctypeslib',
  'torch.load',
  'torch.save',
  'torch.compile',
  'torch.from_file',
  'torch._C._jit_script_compile',
  'torch.ops',
  'torch._ops.ops',
  'torch.classes',
  'torch.library',
  'pandas.read_pickle',
  'pandas.read_csv',
  'pandas.read_json',
  'pandas.read_html',
  'pandas.read_sql',
  'pandas.eval',
  'pandas.core.computation.eval.eval',
  'pandas.io.parsers.readers.read_csv',
  'scipy.io.loadmat',
  'scipy.weave',
  'sklearn.utils._testing.assert_run_python_script',
  'mlflow.projects.backend.local._run_entry_point',
  'sympy.sympify',
  'sympy.parsing.sympy_parser.parse_expr',
  'numexpr.evaluate',
  'jax.numpy.load',
  'tensorflow.io.read_file',
  'logging.FileHandler',
  'logging.basicConfig',
  'functools.reduce',
  'copyreg.__newobj__',
  'copyreg.__newobj_ex__',
]);

/** Attribute names that are code execution wherever they are reached (dotted names, unknown modules). */
const DANGEROUS_NAMES = new Set([
  'system',
  'popen',
  'popen2',
  'popen3',
  'popen4',
  'spawnl',
  'spawnle',
  'spawnlp',
  'spawnlpe',
  'spawnv',
  'spawnve',
  'spawnvp',
  'spawnvpe',
  'execl',
  'execle',
  'execlp',
  'execlpe',
  'execv',
  'execve',
  'execvp',
  'execvpe',
  'eval',
  'exec',
  'execfile',
  'compile',
  '__import__',
  'import_module',
  'run_path',
  'run_module',
  'check_output',
  'check_call',
  'getoutput',
  'getstatusoutput',
  'Popen',
  'runcode',
  'runsource',
  'run_code',
  '_run_code',
  'pipepager',
  'startfile',
  'load_module',
  'exec_module',
  'ShellExecute',
  'execWrapper',
  'breakpoint',
  'apply',
  'getattr',
  'setattr',
  'delattr',
  'globals',
  'locals',
  'vars',
  'input',
  'open',
  'fork',
  'forkpty',
  'kill',
  'remove',
  'unlink',
  'rmtree',
  'rmdir',
  'urlopen',
  'urlretrieve',
  'CDLL',
  'PyDLL',
  'WinDLL',
  'LoadLibrary',
  'dlopen',
  'attrgetter',
  'methodcaller',
  'loads',
  'load',
  'write_text',
  'write_bytes',
  'FileIO',
  'spawn',
  'run_cprofile',
  'run_autograd_prof',
  'compile_file',
  'evaluate_guards_expression',
  'load_config',
  'runstring',
  'getlincoef',
  'debug_script',
  'resolve_name',
  'locate',
  'pager',
  'create',
]);

const BUILTINS_DANGEROUS = new Set([
  'eval',
  'exec',
  'execfile',
  'compile',
  'open',
  'getattr',
  'setattr',
  'delattr',
  '__import__',
  'apply',
  'breakpoint',
  'input',
  'globals',
  'locals',
  'vars',
  'memoryview',
  'type',
  'super',
  'classmethod',
  'staticmethod',
  'property',
  'help',
  'exit',
  'quit',
  'print',
  'dir',
  'id',
  'hasattr',
  'callable',
  'reload',
  'file',
  'raw_input',
  'map',
  'filter',
  'iter',
  'next',
  'sorted',
  'min',
  'max',
  'sum',
  'any',
  'all',
  'zip',
  'enumerate',
  'reversed',
  'format',
  'repr',
  'ascii',
  'chr',
  'ord',
  'hash',
  'isinstance',
  'issubclass',
  'object.__subclasses__',
  'BaseException',
  'Exception',
  'license',
  'credits',
  'copyright',
]);

function inDangerousModule(module: string): string | undefined {
  for (const d of DANGEROUS_MODULES) {
    if (module === d || module.startsWith(`${d}.`)) return d;
  }
  return undefined;
}

const isDunder = (s: string) =>
  s.length > 4 && s.startsWith('__') && s.endsWith('__');

/**
 * Classify the global (module, name) that find_class would resolve. `name` may be dotted
 * (protocol 4+ qualnames): every component is considered, because getattr walks through it.
 */
const cache = new Map<string, Classification>();

export function classifyGlobal(
  rawModule: string,
  rawName: string,
): Classification {
  const key = `${rawModule}\n${rawName}`;
  let c = cache.get(key);
  if (!c) {
    c = classifyUncached(rawModule, rawName);
    if (cache.size < 10_000) cache.set(key, c);
  }
  return c;
}

function classifyUncached(rawModule: string, rawName: string): Classification {
  const [module, name] = canonicalGlobal(rawModule, rawName);
  const full = `${module}.${name}`;
  const parts = name.split('.');
  const last = parts[parts.length - 1];
  const loader =
    LOADERS.has(full) ||
    (parts.length === 1 && LOADERS.has(`${module}.${last}`));

  const exact = ALLOWED_EXACT.get(full);
  if (exact)
    return {
      level: 'allowed',
      reason: `${exact} allowlist`,
      framework: exact,
      loader,
    };

  if (
    !module ||
    !name ||
    /[^A-Za-z0-9_.]/.test(module) ||
    /[^A-Za-z0-9_.<>]/.test(name)
  ) {
    return {
      level: 'dangerous',
      reason: 'the import name is not a valid Python identifier path',
      loader,
    };
  }
  if (module === 'builtins') {
    if (BUILTINS_DANGEROUS.has(parts[0]) || parts.length > 1) {
      return {
        level: 'dangerous',
        reason: `builtins.${parts[0]} gives access to code execution or introspection`,
        loader,
      };
    }
  }
  if (DANGEROUS_EXACT.has(full) || loader) {
    return {
      level: 'dangerous',
      reason: `${full} runs code, deserializes data or touches files`,
      loader,
    };
  }
  const dm = inDangerousModule(module);
  if (dm)
    return {
      level: 'dangerous',
      reason: `module ${dm} gives code execution, process, file or network access`,
      loader,
    };
  // dotted names walk attributes: pathlib + "os.system" reaches os.system
  if (parts.length > 1) {
    for (let i = 0; i < parts.length - 1; i++) {
      const sub = parts.slice(0, i + 1).join('.');
      const via =
        inDangerousModule(parts[i]) ??
        inDangerousModule(sub) ??
        inDangerousModule(`${module}.${sub}`);
      if (via)
        return {
          level: 'dangerous',
          reason: `dotted name reaches module ${via} through ${module}`,
          loader,
        };
    }
  }
  for (const p of [...module.split('.'), ...parts]) {
    if (isDunder(p) && p !== '__main__') {
      return {
        level: 'dangerous',
        reason: `the import reaches the interpreter internals through ${p}`,
        loader,
      };
    }
  }
  if (DANGEROUS_NAMES.has(last)) {
    return {
      level: 'dangerous',
      reason: `${last} is a code-execution, file or loader primitive`,
      loader,
    };
  }
  for (const p of ALLOWED_PATTERNS) {
    if (parts.length === 1 && p.test(module, name)) {
      return {
        level: 'allowed',
        reason: `${p.framework} allowlist`,
        framework: p.framework,
      };
    }
  }
  if (module === '__main__') {
    return {
      level: 'unknown',
      reason:
        'a class defined in the saving script (__main__); its code is not in the file and runs from wherever it is found',
    };
  }
  return { level: 'unknown', reason: `${full} is not in any allowlist` };
}

/** Callables whose *result* is a callable that reaches arbitrary attributes. */
export function isGetattrLike(module: string, name: string): boolean {
  const full = `${canonicalModule(module)}.${name}`;
  return /^(builtins\.getattr|operator\.(attrgetter|methodcaller|itemgetter)|_operator\.(attrgetter|methodcaller|itemgetter)|functools\.partial|_functools\.partial|pkgutil\.resolve_name|pydoc\.locate|importlib\.import_module|builtins\.__import__|builtins\.vars|builtins\.globals)$/.test(
    full,
  );
}

/** Fingerprint of the policy (part of RULESET_VERSION). */
export function policyFingerprint(): string {
  return JSON.stringify([
    [...ALLOWED_EXACT.entries()].sort(),
    ALLOWED_PATTERNS.map(p => p.test.toString()),
    DANGEROUS_MODULES,
    [...DANGEROUS_EXACT].sort(),
    [...DANGEROUS_NAMES].sort(),
    [...BUILTINS_DANGEROUS].sort(),
    [...LOADERS].sort(),
  ]);
}
