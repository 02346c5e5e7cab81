import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import YAML from 'yaml';

/*
 * A small renderer for the subset of Helm's Go-template language that our chart uses, so CI can
 * render and validate the chart without a helm binary (none exists on these machines, and no
 * maintained JS implementation of Helm templates exists on npm). Anything outside the subset throws,
 * so a template that grows past it fails the test instead of being rendered wrongly.
 *
 * Supported subset:
 *   - text, {{ pipeline }}, trim markers {{- and -}}, comments {{/* … *\/}}
 *   - if / else if / else / end; with / else / end; range [$i, $v :=] pipeline / else / end;
 *     define "name" / end; $var := pipeline; $var = pipeline
 *   - operands: . .Field.Chain $ $var $var.Field "string" `raw` numbers true false nil (pipeline)
 *   - functions: include print printf(%s %d %v %%) default required empty trunc trimSuffix contains replace
 *     quote indent nindent toYaml toString sha256sum b64enc randBytes lookup(→ empty, as helm template)
 *     get dict list append join not and or eq ne ternary
 * Go semantics kept: numbers from values print like Go's %v of a float64 (10000000 → "1e+07"); a
 * missing map key is empty but a field of a missing value is an error; maps range in key order;
 * `and`/`or` return an operand; truthiness is Go's (false, 0, "", nil, empty list/map are false).
 */

type Value = unknown;
type Dict = Record<string, Value>;

class TemplateError extends Error {}
/** The chart refused its values (`required`), as `helm template` does with an execution error. */
export class RenderFailure extends Error {}

// ---------------------------------------------------------------- lexing: text and {{ actions }}

interface Segment {
  kind: 'text' | 'action';
  text: string;
  line: number;
}

function segments(source: string, file: string): Segment[] {
  const out: Segment[] = [];
  let pos = 0;
  let line = 1;
  let trimNext = false;
  while (pos < source.length) {
    const open = source.indexOf('{{', pos);
    let text = open < 0 ? source.slice(pos) : source.slice(pos, open);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (open < 0) {
      out.push({ kind: 'text', text, line });
      break;
    }
    const trimLeft = source.startsWith('{{- ', open) || source.startsWith('{{-\n', open);
    if (trimLeft) text = text.replace(/\s+$/, '');
    out.push({ kind: 'text', text, line });
    line += (source.slice(pos, open).match(/\n/g) ?? []).length;
    const innerStart = open + (trimLeft ? 3 : 2);
    let close: number;
    if (source.slice(innerStart).trimStart().startsWith('/*')) {
      const end = source.indexOf('*/', innerStart);
      if (end < 0) throw new TemplateError(`${file}:${line}: unclosed comment`);
      close = source.indexOf('}}', end);
    } else {
      close = findClose(source, innerStart);
    }
    if (close < 0) throw new TemplateError(`${file}:${line}: unclosed action`);
    const trimRight = source[close - 1] === '-' && /\s/.test(source[close - 2] ?? '');
    const inner = source.slice(innerStart, trimRight ? close - 1 : close).trim();
    if (!inner.startsWith('/*')) out.push({ kind: 'action', text: inner, line });
    line += (source.slice(open, close).match(/\n/g) ?? []).length;
    trimNext = trimRight;
    pos = close + 2;
  }
  return out;
}

/** Index of the `}}` closing an action, skipping quoted strings. */
function findClose(source: string, from: number): number {
  for (let i = from; i < source.length; i++) {
    const c = source[i];
    if (c === '"') {
      for (i++; i < source.length && source[i] !== '"'; i++) if (source[i] === '\\') i++;
    } else if (c === '`') {
      i = source.indexOf('`', i + 1);
      if (i < 0) return -1;
    } else if (c === '}' && source[i + 1] === '}') {
      return i;
    }
  }
  return -1;
}

// ---------------------------------------------------------------- tokens inside an action

type Token =
  | { t: 'str'; v: string }
  | { t: 'num'; v: number }
  | { t: 'field'; v: string[] } // .A.B ([] for ".")
  | { t: 'var'; name: string; fields: string[] } // $x.A ($ for root)
  | { t: 'ident'; v: string }
  | { t: 'op'; v: '(' | ')' | '|' | ':=' | '=' | ',' };

function tokenize(src: string, where: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fieldChain = (start: number): [string[], number] => {
    const fields: string[] = [];
    let j = start;
    while (src[j] === '.' && /[A-Za-z_]/.test(src[j + 1] ?? '')) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(j + 1))!;
      fields.push(m[0]);
      j += 1 + m[0].length;
    }
    return [fields, j];
  };
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      tokens.push({ t: 'str', v: JSON.parse(src.slice(i, j + 1)) as string });
      i = j + 1;
    } else if (c === '`') {
      const j = src.indexOf('`', i + 1);
      tokens.push({ t: 'str', v: src.slice(i + 1, j) });
      i = j + 1;
    } else if (/[0-9-]/.test(c) && /[0-9]/.test(src[i + (c === '-' ? 1 : 0)] ?? '')) {
      const m = /^-?[0-9]+(\.[0-9]+)?/.exec(src.slice(i))!;
      tokens.push({ t: 'num', v: Number(m[0]) });
      i += m[0].length;
    } else if (c === '.') {
      const [fields, j] = fieldChain(i);
      tokens.push({ t: 'field', v: fields });
      i = fields.length ? j : i + 1;
    } else if (c === '$') {
      const m = /^\$[A-Za-z0-9_]*/.exec(src.slice(i))!;
      const [fields, j] = fieldChain(i + m[0].length);
      tokens.push({ t: 'var', name: m[0], fields });
      i = j;
    } else if (src.startsWith(':=', i)) {
      tokens.push({ t: 'op', v: ':=' });
      i += 2;
    } else if ('()|=,'.includes(c)) {
      tokens.push({ t: 'op', v: c as '(' | ')' | '|' | '=' | ',' });
      i++;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      tokens.push({ t: 'ident', v: m[0] });
      i += m[0].length;
    } else {
      throw new TemplateError(`${where}: unsupported character ${JSON.stringify(c)} in {{ ${src} }}`);
    }
  }
  return tokens;
}

// ---------------------------------------------------------------- parse tree

type Operand = { k: 'lit'; v: Value } | { k: 'field'; fields: string[] } | { k: 'var'; name: string; fields: string[] } | { k: 'fn'; name: string } | { k: 'sub'; pipe: Pipeline };
type Command = Operand[];
interface Pipeline {
  decl?: { vars: string[]; assign: boolean };
  commands: Command[];
  where: string;
}
type Node =
  | { k: 'text'; text: string }
  | { k: 'out'; pipe: Pipeline }
  | { k: 'if'; branches: { cond: Pipeline; body: Node[] }[]; otherwise: Node[] }
  | { k: 'with'; pipe: Pipeline; body: Node[]; otherwise: Node[] }
  | { k: 'range'; pipe: Pipeline; body: Node[]; otherwise: Node[] };

const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue']);

function parsePipeline(tokens: Token[], where: string): Pipeline {
  let pos = 0;
  let decl: Pipeline['decl'];
  // `$a := …`, `$a, $b := …`, `$a = …`
  const varsEnd = tokens.findIndex((t) => t.t === 'op' && (t.v === ':=' || t.v === '='));
  if (varsEnd > 0 && tokens.slice(0, varsEnd).every((t) => t.t === 'var' || (t.t === 'op' && t.v === ','))) {
    const vars = tokens.slice(0, varsEnd).filter((t): t is Extract<Token, { t: 'var' }> => t.t === 'var');
    if (vars.some((v) => v.fields.length)) throw new TemplateError(`${where}: cannot assign to a field`);
    decl = { vars: vars.map((v) => v.name), assign: (tokens[varsEnd] as { v: string }).v === '=' };
    pos = varsEnd + 1;
  }
  const parseCommands = (stopAtParen: boolean): Command[] => {
    const commands: Command[] = [];
    let current: Command = [];
    while (pos < tokens.length) {
      const tok = tokens[pos++];
      if (tok.t === 'op' && tok.v === ')') {
        if (!stopAtParen) throw new TemplateError(`${where}: unbalanced )`);
        break;
      }
      if (tok.t === 'op' && tok.v === '|') {
        if (!current.length) throw new TemplateError(`${where}: empty command before |`);
        commands.push(current);
        current = [];
      } else if (tok.t === 'op' && tok.v === '(') {
        current.push({ k: 'sub', pipe: { commands: parseCommands(true), where } });
      } else if (tok.t === 'str' || tok.t === 'num') {
        current.push({ k: 'lit', v: tok.v });
      } else if (tok.t === 'field') {
        current.push({ k: 'field', fields: tok.v });
      } else if (tok.t === 'var') {
        current.push({ k: 'var', name: tok.name, fields: tok.fields });
      } else if (tok.t === 'ident') {
        if (tok.v === 'true' || tok.v === 'false') current.push({ k: 'lit', v: tok.v === 'true' });
        else if (tok.v === 'nil') current.push({ k: 'lit', v: null });
        else if (KEYWORDS.has(tok.v)) throw new TemplateError(`${where}: keyword ${tok.v} inside a pipeline`);
        else if (!Object.hasOwn(FUNCTIONS, tok.v)) throw new TemplateError(`${where}: function ${tok.v} is outside the supported subset`);
        else current.push({ k: 'fn', name: tok.v });
      } else {
        throw new TemplateError(`${where}: unexpected ${JSON.stringify(tok)}`);
      }
    }
    if (!current.length) throw new TemplateError(`${where}: empty pipeline`);
    commands.push(current);
    return commands;
  };
  const commands = parseCommands(false);
  return { decl, commands, where };
}

interface Parsed {
  nodes: Node[];
  defines: Map<string, Node[]>;
}

function parse(source: string, file: string): Parsed {
  const defines = new Map<string, Node[]>();
  const segs = segments(source, file);
  let i = 0;
  // Parses until one of `stops` (else/end), returning the nodes and the stopping action.
  const block = (stops: string[]): { nodes: Node[]; stop: string | null; stopText: string } => {
    const nodes: Node[] = [];
    while (i < segs.length) {
      const seg = segs[i++];
      const where = `${file}:${seg.line}`;
      if (seg.kind === 'text') {
        if (seg.text) nodes.push({ k: 'text', text: seg.text });
        continue;
      }
      const word = /^[a-z]+/.exec(seg.text)?.[0] ?? '';
      const rest = seg.text.slice(word.length).trim();
      if (stops.includes(word)) return { nodes, stop: word, stopText: rest };
      if (word === 'if' || word === 'with' || word === 'range') {
        const pipe = parsePipeline(tokenize(rest, where), where);
        if (word === 'if') {
          const branches = [{ cond: pipe, body: [] as Node[] }];
          let otherwise: Node[] = [];
          for (;;) {
            const part = block(['else', 'end']);
            if (part.stop === null) throw new TemplateError(`${where}: if without end`);
            branches[branches.length - 1].body = part.nodes;
            if (part.stop === 'end') break;
            if (part.stopText.startsWith('if ')) {
              const cond = parsePipeline(tokenize(part.stopText.slice(3), where), where);
              branches.push({ cond, body: [] });
              continue;
            }
            if (part.stopText) throw new TemplateError(`${where}: unsupported else form "else ${part.stopText}"`);
            const last = block(['end']);
            if (last.stop === null) throw new TemplateError(`${where}: if without end`);
            otherwise = last.nodes;
            break;
          }
          nodes.push({ k: 'if', branches, otherwise });
        } else {
          const body = block(['else', 'end']);
          if (body.stop === null) throw new TemplateError(`${where}: ${word} without end`);
          let otherwise: Node[] = [];
          if (body.stop === 'else') {
            if (body.stopText) throw new TemplateError(`${where}: unsupported else form in ${word}`);
            const last = block(['end']);
            if (last.stop === null) throw new TemplateError(`${where}: ${word} without end`);
            otherwise = last.nodes;
          }
          nodes.push({ k: word, pipe, body: body.nodes, otherwise });
        }
      } else if (word === 'define') {
        const name = tokenize(rest, where);
        if (name.length !== 1 || name[0].t !== 'str') throw new TemplateError(`${where}: define needs one string name`);
        const body = block(['end']);
        if (body.stop === null) throw new TemplateError(`${where}: define without end`);
        defines.set(name[0].v, body.nodes);
      } else if (KEYWORDS.has(word) && /^[a-z]+(\s|$)/.test(seg.text)) {
        throw new TemplateError(`${where}: "${word}" is outside the supported subset (or misplaced)`);
      } else {
        nodes.push({ k: 'out', pipe: parsePipeline(tokenize(seg.text, where), where) });
      }
    }
    return { nodes, stop: null, stopText: '' };
  };
  const top = block([]);
  return { nodes: top.nodes, defines };
}

// ---------------------------------------------------------------- values and functions

const isDict = (v: Value): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Go template truthiness. */
function truthy(v: Value): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isDict(v)) return Object.keys(v).length > 0;
  return true;
}

/** Go's %v of a float64 (how Helm prints numbers that came from YAML values). */
function goNumber(n: number): string {
  if (n === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(n)));
  // strconv's shortest %g: exponent form outside 1e-4 <= |n| < 1e6 (fmt.Println(1e6) is 1e+06).
  if (exp < -4 || exp >= 6) {
    const [mantissa, e] = n.toExponential().split('e');
    const sign = e.startsWith('-') ? '-' : '+';
    return `${mantissa}e${sign}${e.replace(/^[-+]/, '').padStart(2, '0')}`;
  }
  return String(n);
}
// Integers made by templates themselves (range indexes) are Go ints and print in full.
const INT = Symbol('int');
type GoInt = { [INT]: number };
const goInt = (n: number): GoInt => ({ [INT]: n });
const isGoInt = (v: Value): v is GoInt => typeof v === 'object' && v !== null && INT in v;

function str(v: Value): string {
  if (v === undefined || v === null) return '';
  if (isGoInt(v)) return String(v[INT]);
  if (typeof v === 'number') return goNumber(v);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(str).join(' ')}]`;
  if (isDict(v))
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${str(v[k])}`)
      .join(' ')}]`;
  throw new TemplateError(`cannot print ${typeof v}`);
}

function toYaml(v: Value): string {
  if (v === undefined || v === null) return 'null';
  const text = YAML.stringify(v, { sortMapEntries: true, lineWidth: 0 });
  return text.replace(/\n$/, '');
}

function indentLines(n: number, s: string): string {
  const pad = ' '.repeat(n);
  return pad + s.replace(/\n/g, `\n${pad}`);
}

function printf(format: string, args: Value[]): string {
  let i = 0;
  return format.replace(/%([sdv%])/g, (_m, verb: string) => {
    if (verb === '%') return '%';
    const arg = args[i++];
    if (verb === 'd') {
      if (!isGoInt(arg) && !(typeof arg === 'number' && Number.isInteger(arg))) return `%!d(${typeof arg}=${str(arg)})`;
      return str(arg);
    }
    return str(arg);
  });
}

type Fn = (r: Renderer, args: Value[]) => Value;

const FUNCTIONS: Record<string, Fn> = {
  include: (r, [name, ctx]) => r.include(String(name), ctx),
  print: (_r, args) => args.map((a, i) => (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string' ? ' ' : '') + str(a)).join(''),
  printf: (_r, [format, ...args]) => printf(String(format), args),
  default: (_r, [fallback, given]) => (truthy(given) ? given : fallback),
  // As Helm's: nil or "" fails the whole render with the message; anything else passes through.
  required: (_r, [message, v]) => {
    if (v === undefined || v === null || v === '') throw new RenderFailure(str(message));
    return v;
  },
  empty: (_r, [v]) => !truthy(v),
  trunc: (_r, [n, s]) => str(s).slice(0, Number(n)),
  trimSuffix: (_r, [suffix, s]) => (str(s).endsWith(str(suffix)) ? str(s).slice(0, -str(suffix).length || undefined) : str(s)),
  contains: (_r, [sub, s]) => str(s).includes(str(sub)),
  replace: (_r, [from, to, s]) => str(s).split(str(from)).join(str(to)),
  quote: (_r, args) =>
    args
      .filter((a) => a !== undefined && a !== null)
      .map((a) => JSON.stringify(str(a)))
      .join(' '),
  indent: (_r, [n, s]) => indentLines(Number(n), str(s)),
  nindent: (_r, [n, s]) => `\n${indentLines(Number(n), str(s))}`,
  toYaml: (_r, [v]) => toYaml(v),
  toString: ((_r, [v]) => str(v)) satisfies Fn,
  sha256sum: (_r, [s]) => createHash('sha256').update(str(s)).digest('hex'),
  b64enc: (_r, [s]) => Buffer.from(str(s)).toString('base64'),
  randBytes: (_r, [n]) => randomBytes(Number(n)).toString('base64'),
  // `helm template` has no cluster to ask: lookup answers an empty map there too.
  lookup: () => ({}),
  get: (_r, [m, key]) => (isDict(m) && str(key) in m ? m[str(key)] : ''),
  dict: (_r, args) => {
    const out: Dict = {};
    for (let i = 0; i < args.length; i += 2) out[str(args[i])] = args[i + 1];
    return out;
  },
  list: (_r, args) => [...args],
  append: (_r, [l, v]) => {
    if (!Array.isArray(l)) throw new TemplateError('append needs a list');
    return [...l, v];
  },
  join: (_r, [sep, l]) => (Array.isArray(l) ? l.map(str).join(str(sep)) : str(l)),
  not: (_r, [v]) => !truthy(v),
  and: (_r, args) => args.find((a) => !truthy(a)) ?? args[args.length - 1],
  or: (_r, args) => args.find((a) => truthy(a)) ?? args[args.length - 1],
  eq: (_r, [a, ...rest]) => rest.some((b) => str(a) === str(b) && typeof a === typeof b),
  ne: (_r, [a, b]) => !(str(a) === str(b) && typeof a === typeof b),
  ternary: (_r, [a, b, cond]) => (truthy(cond) ? a : b),
};

// ---------------------------------------------------------------- evaluation

class Scope {
  private readonly frames: Map<string, Value>[] = [new Map()];
  push(): void {
    this.frames.push(new Map());
  }
  pop(): void {
    this.frames.pop();
  }
  declare(name: string, v: Value): void {
    this.frames[this.frames.length - 1].set(name, v);
  }
  assign(name: string, v: Value, where: string): void {
    for (let i = this.frames.length - 1; i >= 0; i--) {
      if (this.frames[i].has(name)) {
        this.frames[i].set(name, v);
        return;
      }
    }
    throw new TemplateError(`${where}: assignment to undeclared ${name}`);
  }
  get(name: string, where: string): Value {
    for (let i = this.frames.length - 1; i >= 0; i--) if (this.frames[i].has(name)) return this.frames[i].get(name);
    throw new TemplateError(`${where}: undefined variable ${name}`);
  }
}

function field(v: Value, fields: string[], where: string): Value {
  let cur = v;
  for (const f of fields) {
    if (!isDict(cur)) throw new TemplateError(`${where}: nil pointer evaluating .${f} (field of ${cur === undefined ? 'a missing value' : typeof cur})`);
    cur = cur[f];
  }
  return cur;
}

export class Renderer {
  private readonly defines = new Map<string, Node[]>();
  private readonly files = new Map<string, Node[]>();
  private depth = 0;

  constructor(sources: Record<string, string>) {
    for (const [name, source] of Object.entries(sources)) {
      const parsed = parse(source, name);
      this.files.set(name, parsed.nodes);
      for (const [defName, body] of parsed.defines) {
        if (this.defines.has(defName)) throw new TemplateError(`template ${defName} defined twice`);
        this.defines.set(defName, body);
      }
    }
  }

  /** `include`: a define, or a whole template file by its path (as Helm allows). */
  include(name: string, ctx: Value): string {
    const body = this.defines.get(name) ?? this.files.get(name);
    if (!body) throw new TemplateError(`include of unknown template ${name}`);
    if (++this.depth > 50) throw new TemplateError(`include nested too deep at ${name}`);
    try {
      return this.run(body, ctx);
    } finally {
      this.depth--;
    }
  }

  renderFile(name: string, ctx: Value): string {
    const body = this.files.get(name);
    if (!body) throw new TemplateError(`no template ${name}`);
    return this.run(body, ctx);
  }

  private run(nodes: Node[], dot: Value): string {
    const scope = new Scope();
    scope.declare('$', dot);
    return this.exec(nodes, dot, scope);
  }

  private exec(nodes: Node[], dot: Value, scope: Scope): string {
    let out = '';
    for (const node of nodes) {
      switch (node.k) {
        case 'text':
          out += node.text;
          break;
        case 'out': {
          const v = this.pipeline(node.pipe, dot, scope);
          if (!node.pipe.decl) out += str(v);
          break;
        }
        case 'if': {
          const branch = node.branches.find((b) => truthy(this.pipeline(b.cond, dot, scope)));
          scope.push();
          out += this.exec(branch ? branch.body : node.otherwise, dot, scope);
          scope.pop();
          break;
        }
        case 'with': {
          scope.push();
          const v = this.pipeline(node.pipe, dot, scope);
          out += truthy(v) ? this.exec(node.body, v, scope) : this.exec(node.otherwise, dot, scope);
          scope.pop();
          break;
        }
        case 'range': {
          scope.push();
          const vars = node.pipe.decl?.vars ?? [];
          const v = this.pipeline({ ...node.pipe, decl: undefined }, dot, scope);
          const entries: [Value, Value][] = Array.isArray(v)
            ? v.map((item, i) => [goInt(i), item])
            : isDict(v)
              ? Object.keys(v)
                  .sort()
                  .map((k) => [k, v[k]])
              : v === undefined || v === null
                ? []
                : (() => {
                    throw new TemplateError(`${node.pipe.where}: range over ${typeof v}`);
                  })();
          if (!entries.length) out += this.exec(node.otherwise, dot, scope);
          for (const [key, item] of entries) {
            scope.push();
            if (vars.length === 1) scope.declare(vars[0], item);
            if (vars.length === 2) {
              scope.declare(vars[0], key);
              scope.declare(vars[1], item);
            }
            out += this.exec(node.body, item, scope);
            scope.pop();
          }
          scope.pop();
          break;
        }
      }
    }
    return out;
  }

  private pipeline(pipe: Pipeline, dot: Value, scope: Scope): Value {
    let value: Value = undefined;
    pipe.commands.forEach((command, i) => {
      value = this.command(command, dot, scope, pipe.where, i > 0 ? { value } : undefined);
    });
    if (pipe.decl) {
      if (pipe.decl.vars.length !== 1) throw new TemplateError(`${pipe.where}: only range declares two variables`);
      if (pipe.decl.assign) scope.assign(pipe.decl.vars[0], value, pipe.where);
      else scope.declare(pipe.decl.vars[0], value);
    }
    return value;
  }

  private command(command: Command, dot: Value, scope: Scope, where: string, piped?: { value: Value }): Value {
    const [head, ...rest] = command;
    if (head.k === 'fn') {
      const args = rest.map((o) => this.operand(o, dot, scope, where));
      if (piped) args.push(piped.value);
      return FUNCTIONS[head.name](this, args);
    }
    if (rest.length || piped) throw new TemplateError(`${where}: cannot give arguments to a non-function`);
    return this.operand(head, dot, scope, where);
  }

  private operand(op: Operand, dot: Value, scope: Scope, where: string): Value {
    switch (op.k) {
      case 'lit':
        return op.v;
      case 'field':
        return field(dot, op.fields, where);
      case 'var':
        return field(scope.get(op.name, where), op.fields, where);
      case 'fn':
        return FUNCTIONS[op.name](this, []);
      case 'sub':
        return this.pipeline(op.pipe, dot, scope);
    }
  }
}

// ---------------------------------------------------------------- the chart

export interface RenderedChart {
  /** Each manifest with the template file it came from. */
  manifests: { source: string; doc: Dict }[];
  notes: string;
}

function deepMerge(base: Value, over: Value): Value {
  if (!isDict(base) || !isDict(over)) return over === undefined ? base : over;
  const out: Dict = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

/** `helm template RELEASE CHART_DIR -n NAMESPACE [-f overrides]`, for our chart's subset. */
export function renderChart(chartDir: string, options: { release?: string; namespace?: string; values?: Dict } = {}): RenderedChart {
  const chart = YAML.parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as Dict;
  const defaults = YAML.parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as Dict;
  const values = deepMerge(defaults, options.values ?? {}) as Dict;
  const chartName = String(chart.name);
  const basePath = `${chartName}/templates`;
  const sources: Record<string, string> = {};
  const templateDir = join(chartDir, 'templates');
  for (const file of readdirSync(templateDir).sort()) sources[`${basePath}/${file}`] = readFileSync(join(templateDir, file), 'utf8');
  const renderer = new Renderer(sources);
  const context = (name: string): Dict => ({
    Values: values,
    Chart: { Name: chart.name, Version: chart.version, AppVersion: chart.appVersion },
    Release: { Name: options.release ?? 'scs', Namespace: options.namespace ?? 'default', Service: 'Helm', IsInstall: true, IsUpgrade: false },
    Capabilities: { KubeVersion: { Version: 'v1.31.0' } },
    Template: { Name: name, BasePath: basePath },
  });
  const manifests: RenderedChart['manifests'] = [];
  let notes = '';
  for (const name of Object.keys(sources)) {
    const file = basename(name);
    if (file.startsWith('_')) continue;
    const text = renderer.renderFile(name, context(name));
    if (file === 'NOTES.txt') {
      notes = text;
      continue;
    }
    for (const part of text.split(/^---\s*$/m)) {
      const doc = YAML.parse(part, { strict: true, uniqueKeys: true }) as unknown;
      if (doc === null || doc === undefined) continue;
      if (!isDict(doc)) throw new TemplateError(`${name}: a manifest is not a mapping`);
      manifests.push({ source: name, doc });
    }
  }
  return { manifests, notes };
}

export { TemplateError, goNumber };
