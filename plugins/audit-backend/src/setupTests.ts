/*
 * Workaround for a crash of better-sqlite3 12.x on Node >= 24.19 (nodejs/node#65446):
 * a Statement garbage-collected while no JavaScript context is entered (for example by a
 * GC that V8 runs as a background/idle task between test files) aborts the process with
 * "Assertion failed: (env) != nullptr" in node::RemoveEnvironmentCleanupHook. Collecting
 * garbage from JavaScript, while a context is entered, finalizes those statements safely,
 * so this runs a full GC around every test. Test setup only; see the README ("Known issue").
 */
import v8 from 'node:v8';
import vm from 'node:vm';

v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

beforeAll(() => collectGarbage());
afterEach(() => collectGarbage());
afterAll(() => collectGarbage());
