import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { goNumber, Renderer, TemplateError } from './helm-template';

// The test renderer must render what Helm renders for the subset it accepts, and refuse the rest.

const render = (source: string, values: Record<string, unknown> = {}, extra: Record<string, string> = {}) =>
  new Renderer({ 't.yaml': source, ...extra }).renderFile('t.yaml', { Values: values, Release: { Name: 'r' } });

describe('helm test renderer', () => {
  it('trims whitespace like Go templates: {{- eats before, -}} eats after, newlines included', () => {
    expect(render('a:\n  {{- " b" }}\nc')).toBe('a: b\nc');
    expect(render('x  {{ "y" -}}  \n\n z')).toBe('x  yz');
    expect(render('{{- /* comment */ -}}\nkey: v')).toBe('key: v');
  });

  it('if / else if / else, with, range over lists and maps (keys in order) with variables', () => {
    const t = '{{ if .Values.a }}A{{ else if .Values.b }}B{{ else }}C{{ end }}';
    expect(render(t, { a: 1 })).toBe('A');
    expect(render(t, { b: 'x' })).toBe('B');
    expect(render(t, { a: 0, b: [] })).toBe('C');
    expect(render('{{ with .Values.m }}{{ .k }}{{ else }}none{{ end }}', { m: { k: 'v' } })).toBe('v');
    expect(render('{{ with .Values.m }}{{ .k }}{{ else }}none{{ end }}', { m: {} })).toBe('none');
    expect(render('{{ range $k, $v := .Values.m }}{{ $k }}={{ $v }};{{ end }}', { m: { b: 2, a: 1 } })).toBe('a=1;b=2;');
    expect(render('{{ range $i, $v := .Values.l }}{{ $i }}:{{ $v }} {{ end }}', { l: ['x', 'y'] })).toBe('0:x 1:y ');
    expect(render('{{ range .Values.l }}{{ . }}{{ else }}empty{{ end }}', { l: [] })).toBe('empty');
    expect(render('{{- $l := list }}{{ range .Values.l }}{{ $l = append $l (printf "/k/%s" .) }}{{ end }}{{ join "," $l }}', { l: ['a', 'b'] })).toBe('/k/a,/k/b');
  });

  it('include with nindent, toYaml with sorted keys, default, quote, and $ inside range', () => {
    const helpers = { '_h.tpl': '{{- define "lbl" -}}\nname: {{ .Release.Name }}\n{{- end -}}' };
    expect(render('m:\n  {{- include "lbl" . | nindent 2 }}', {}, helpers)).toBe('m:\n  name: r');
    expect(render('{{ toYaml .Values.x | nindent 2 }}', { x: { b: 1, a: [true] } })).toBe('\n  a:\n    - true\n  b: 1');
    expect(render('{{ .Values.t | default "dflt" | quote }}', { t: '' })).toBe('"dflt"');
    expect(render('{{ range .Values.l }}{{ $.Release.Name }}{{ end }}', { l: [1, 2] })).toBe('rr');
    expect(render('{{ ternary "y" "n" (eq .Values.d "fs") }}', { d: 'fs' })).toBe('y');
  });

  it('prints numbers from values as Go prints a float64', () => {
    expect(goNumber(3)).toBe('3');
    expect(goNumber(100000)).toBe('100000');
    expect(goNumber(10000000)).toBe('1e+07');
    expect(goNumber(1296000)).toBe('1.296e+06');
    expect(goNumber(0.5)).toBe('0.5');
    expect(render('{{ .Values.n }}', { n: 10000000 })).toBe('1e+07');
  });

  it('a field of a missing value is an error, as in Helm; a missing key is empty', () => {
    expect(render('[{{ .Values.missing }}]')).toBe('[]');
    expect(() => render('{{ .Values.missing.deeper }}')).toThrow(/nil pointer/);
  });

  it('refuses anything outside the supported subset', () => {
    expect(() => render('{{ .Values.x | upper }}')).toThrow(TemplateError);
    expect(() => render('{{ tpl .Values.x . }}')).toThrow(/outside the supported subset/);
    expect(() => render('{{ template "x" . }}')).toThrow(/outside the supported subset/);
    expect(() => render('{{ range .Values.l }}{{ break }}{{ end }}')).toThrow(/outside the supported subset/);
    expect(() => render('{{ if .Values.a }}x')).toThrow(/without end/);
    expect(() => render('{{ .Values.a ! }}')).toThrow(/unsupported character/);
    expect(() => render('{{ toString }}')).not.toThrow();
    expect(() => render('{{ constructor }}')).toThrow(/outside the supported subset/);
  });

  it('every template of the chart parses within the subset', () => {
    const dir = join(__dirname, '..', '..', 'helm', 'session-community-server', 'templates');
    const sources = Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
    expect(() => new Renderer(sources)).not.toThrow();
  });
});
