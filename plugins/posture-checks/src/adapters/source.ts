/**
 * Source files with line lookup: YAML documents through the `yaml` parser's node ranges, JSON
 * through one scan that records the line of every requested JSON path.
 */

export type PathSeg = string | number;

/** Display form of a path: `resources[3].properties["odd key"]`. */
export function formatPath(path: readonly PathSeg[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/**
 * Finds the 1-based line of the value at each requested path in a JSON text, in one pass.
 * Paths are compared in their `formatPath` form.
 */
export function jsonLines(text: string, wanted: Set<string>): Map<string, number> {
  const found = new Map<string, number>();
  if (wanted.size === 0) return found;
  type Frame = { arr: boolean; index: number; key: string | undefined; path: PathSeg[] };
  const stack: Frame[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  let expectKey = false;
  const currentPath = (): PathSeg[] | undefined => {
    const top = stack[stack.length - 1];
    if (!top) return [];
    if (top.arr) return [...top.path, top.index];
    return top.key === undefined ? undefined : [...top.path, top.key];
  };
  const onValue = () => {
    const p = currentPath();
    if (p) {
      const key = formatPath(p);
      if (wanted.has(key) && !found.has(key)) found.set(key, line);
    }
  };
  const readString = (): string => {
    let s = '';
    i++; // opening quote
    let start = i;
    while (i < n) {
      const ch = text.charCodeAt(i);
      if (ch === 34) {
        s += text.slice(start, i);
        i++;
        return s;
      }
      if (ch === 92) {
        s += text.slice(start, i);
        const esc = text[i + 1];
        if (esc === 'u') {
          s += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else {
          s += ({ n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' } as Record<string, string>)[esc] ?? esc;
          i += 2;
        }
        start = i;
        continue;
      }
      if (ch === 10) line++;
      i++;
    }
    return s;
  };
  while (i < n && found.size < wanted.size) {
    const ch = text[i];
    if (ch === '\n') {
      line++;
      i++;
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\r') {
      i++;
      continue;
    }
    const top = stack[stack.length - 1];
    if (ch === '{' || ch === '[') {
      onValue();
      const p = currentPath() ?? [];
      stack.push({ arr: ch === '[', index: 0, key: undefined, path: p });
      expectKey = ch === '{';
      i++;
      continue;
    }
    if (ch === '}' || ch === ']') {
      stack.pop();
      expectKey = false;
      i++;
      continue;
    }
    if (ch === ',') {
      if (top?.arr) top.index++;
      else if (top) {
        top.key = undefined;
        expectKey = true;
      }
      i++;
      continue;
    }
    if (ch === ':') {
      expectKey = false;
      i++;
      continue;
    }
    if (ch === '"') {
      if (expectKey && top && !top.arr) {
        top.key = readString();
      } else {
        onValue();
        readString();
      }
      continue;
    }
    // number / literal
    onValue();
    while (i < n && !',}]\n \t\r'.includes(text[i])) i++;
  }
  return found;
}

/**
 * Removes `//` and `/* *\/` comments and trailing commas from JSON text (ARM templates allow
 * them), keeping every newline so line numbers stay the same.
 */
export function stripJsonComments(text: string): string {
  let out = '';
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text[i];
    if (ch === '"') {
      let j = i + 1;
      while (j < n && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (ch === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') i++;
    } else if (ch === '/' && text[i + 1] === '*') {
      i += 2;
      while (i < n && !(text[i] === '*' && text[i + 1] === '/')) {
        if (text[i] === '\n') out += '\n';
        i++;
      }
      i += 2;
    } else {
      out += ch;
      i++;
    }
  }
  return out.replace(/,(\s*[}\]])/g, '$1');
}
