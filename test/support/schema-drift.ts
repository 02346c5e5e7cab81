import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { get_dmmf } from '@prisma/prisma-schema-wasm';
import { Client } from 'pg';
import { defaultMigrationsDir } from '../../src/database/migrate';

/*
 * Compares what schema.prisma describes (its DMMF, from Prisma's own WebAssembly schema parser)
 * with what the migrations actually built in a database (the PostgreSQL catalog): tables, columns,
 * types, nullability, defaults, primary keys, unique and plain indexes, foreign keys and their
 * referential actions. Names follow Prisma's defaults where the schema gives none, so a migration
 * written by hand must use the names `prisma migrate` would have chosen.
 */

export interface ColumnShape {
  type: string;
  nullable: boolean;
  default: string | null;
}
export interface IndexShape {
  table: string;
  columns: string[];
  unique: boolean;
  primary: boolean;
  method: string;
}
export interface ForeignKeyShape {
  table: string;
  columns: string[];
  refTable: string;
  refColumns: string[];
  onDelete: string;
  onUpdate: string;
}
export interface SchemaShape {
  tables: Record<string, Record<string, ColumnShape>>;
  indexes: Record<string, IndexShape>;
  foreignKeys: Record<string, ForeignKeyShape>;
}

// The slice of Prisma's DMMF this checker reads.
interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'object' | 'enum' | 'unsupported';
  isList: boolean;
  isRequired: boolean;
  type: string;
  nativeType?: [string, string[]] | null;
  default?: unknown;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
  relationOnUpdate?: string;
}
interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
}
interface DmmfIndex {
  model: string;
  type: 'id' | 'unique' | 'normal' | 'fulltext';
  dbName?: string | null;
  algorithm?: string;
  fields: { name: string; sortOrder?: 'asc' | 'desc' }[];
}
interface DmmfEnum {
  name: string;
  dbName?: string | null;
}
interface Dmmf {
  datamodel: { models: DmmfModel[]; enums: DmmfEnum[]; indexes: DmmfIndex[] };
}

const POSTGRES_MAX_IDENTIFIER = 63;

export function defaultSchemaPath(): string {
  return join(defaultMigrationsDir(), '..', 'schema.prisma');
}

export function readDmmf(schemaText: string, fileName = 'schema.prisma'): Dmmf {
  return JSON.parse(get_dmmf(JSON.stringify({ prismaSchema: [[fileName, schemaText]], noColor: true }))) as Dmmf;
}

/** Prisma's default constraint names: `<table>_<columns>_<suffix>`, shortened to fit PostgreSQL's 63 characters. */
function constraintName(table: string, columns: string[], suffix: string): string {
  const base = [table, ...columns].join('_');
  return base.slice(0, POSTGRES_MAX_IDENTIFIER - suffix.length - 1) + '_' + suffix;
}

// format_type() spelling of Prisma's scalar types and of the @db native types used in practice.
const SCALAR_SQL: Record<string, string> = {
  String: 'text',
  Int: 'integer',
  BigInt: 'bigint',
  Float: 'double precision',
  Decimal: 'numeric(65,30)',
  Boolean: 'boolean',
  DateTime: 'timestamp(3) without time zone',
  Json: 'jsonb',
  Bytes: 'bytea',
};

function nativeTypeSql(name: string, args: string[]): string {
  const arg = args.length ? `(${args.join(',')})` : '';
  switch (name) {
    case 'Citext':
      return 'citext';
    case 'Text':
      return 'text';
    case 'Uuid':
      return 'uuid';
    case 'Inet':
      return 'inet';
    case 'SmallInt':
      return 'smallint';
    case 'Integer':
      return 'integer';
    case 'BigInt':
      return 'bigint';
    case 'Real':
      return 'real';
    case 'DoublePrecision':
      return 'double precision';
    case 'Decimal':
      return `numeric${arg}`;
    case 'Boolean':
      return 'boolean';
    case 'Bytea':
      return 'bytea';
    case 'Json':
      return 'json';
    case 'JsonB':
      return 'jsonb';
    case 'Date':
      return 'date';
    case 'VarChar':
      return `character varying${arg}`;
    case 'Char':
      return `character${arg}`;
    case 'Timestamp':
      return `timestamp${arg || '(3)'} without time zone`;
    case 'Timestamptz':
      return `timestamp${arg || '(3)'} with time zone`;
    case 'Time':
      return `time${arg || '(3)'} without time zone`;
    case 'Timetz':
      return `time${arg || '(3)'} with time zone`;
    default:
      throw new Error(`schema-drift: native type @db.${name} is not modelled; add it to nativeTypeSql()`);
  }
}

const quoteLiteral = (value: string) => `'${value.replace(/'/g, "''")}'`;

// The default exactly as PostgreSQL prints it back (pg_get_expr) for a column Prisma created.
function defaultSql(field: DmmfField, table: string, column: string, type: string): string | null {
  // The DMMF carries BigInt and Decimal defaults as strings.
  const def = typeof field.default === 'string' && (field.type === 'BigInt' || field.type === 'Decimal') ? Number(field.default) : field.default;
  if (def === undefined || def === null) return null;
  if (typeof def === 'object' && !Array.isArray(def)) {
    const fn = def as { name: string; args: unknown[] };
    switch (fn.name) {
      case 'autoincrement':
        return `nextval('${constraintName(table, [column], 'seq')}'::regclass)`;
      case 'dbgenerated':
        return fn.args.length ? String(fn.args[0]) : null;
      case 'now':
        return 'CURRENT_TIMESTAMP';
      // Generated by Prisma Client, not by the database.
      case 'uuid':
      case 'cuid':
      case 'ulid':
      case 'nanoid':
        return null;
      default:
        throw new Error(`schema-drift: default ${fn.name}() is not modelled; add it to defaultSql()`);
    }
  }
  if (typeof def === 'boolean') return String(def);
  if (typeof def === 'number') {
    // PostgreSQL keeps a non-negative int4-sized literal as is and casts the others explicitly.
    if (def >= 0 && (!Number.isInteger(def) || def <= 2147483647)) return String(def);
    const literalType = !Number.isInteger(def) ? 'numeric' : def < -2147483648 || def > 2147483647 ? 'bigint' : 'integer';
    return `${quoteLiteral(String(def))}::${literalType}`;
  }
  if (typeof def === 'string') {
    if (field.kind === 'enum') return `${quoteLiteral(def)}::"${field.type}"`;
    return `${quoteLiteral(def)}::${type}`;
  }
  throw new Error(`schema-drift: default ${JSON.stringify(def)} of ${table}.${column} is not modelled`);
}

const ACTION_SQL: Record<string, string> = {
  Cascade: 'CASCADE',
  Restrict: 'RESTRICT',
  NoAction: 'NO ACTION',
  SetNull: 'SET NULL',
  SetDefault: 'SET DEFAULT',
};

/** The database schema that `prisma migrate` would create for this schema.prisma text. */
export function expectedSchema(schemaText: string): SchemaShape {
  const { datamodel } = readDmmf(schemaText);
  const shape: SchemaShape = { tables: {}, indexes: {}, foreignKeys: {} };
  const enumDbName = new Map(datamodel.enums.map((e) => [e.name, e.dbName ?? e.name]));
  const models = new Map(datamodel.models.map((m) => [m.name, m]));
  const tableOf = (model: DmmfModel) => model.dbName ?? model.name;
  const columnOf = (model: DmmfModel, fieldName: string) => {
    const field = model.fields.find((f) => f.name === fieldName);
    if (!field) throw new Error(`schema-drift: ${model.name}.${fieldName} not in DMMF`);
    return field.dbName ?? field.name;
  };

  for (const model of datamodel.models) {
    const table = tableOf(model);
    const columns: Record<string, ColumnShape> = {};
    for (const field of model.fields) {
      if (field.kind === 'object') {
        if (!field.relationFromFields?.length) continue;
        const target = models.get(field.type);
        if (!target) throw new Error(`schema-drift: relation target ${field.type} not in DMMF`);
        const fkColumns = field.relationFromFields.map((f) => columnOf(model, f));
        const optional = field.relationFromFields.some((f) => !model.fields.find((x) => x.name === f)?.isRequired);
        shape.foreignKeys[constraintName(table, fkColumns, 'fkey')] = {
          table,
          columns: fkColumns,
          refTable: tableOf(target),
          refColumns: (field.relationToFields ?? []).map((f) => columnOf(target, f)),
          onDelete: ACTION_SQL[field.relationOnDelete ?? (optional ? 'SetNull' : 'Restrict')],
          onUpdate: ACTION_SQL[field.relationOnUpdate ?? 'Cascade'],
        };
        continue;
      }
      const column = field.dbName ?? field.name;
      let type =
        field.kind === 'enum'
          ? `"${enumDbName.get(field.type) ?? field.type}"`.replace(/^"([a-z_][a-z0-9_]*)"$/, '$1')
          : field.nativeType
            ? nativeTypeSql(field.nativeType[0], field.nativeType[1])
            : SCALAR_SQL[field.type];
      if (!type) throw new Error(`schema-drift: type ${field.type} of ${model.name}.${field.name} is not modelled`);
      if (field.isList) type += '[]';
      columns[column] = {
        type,
        nullable: field.isList || !field.isRequired, // Prisma creates scalar lists without NOT NULL
        default: defaultSql(field, table, column, type),
      };
    }
    shape.tables[table] = columns;
  }

  for (const index of datamodel.indexes) {
    const model = models.get(index.model);
    if (!model) throw new Error(`schema-drift: index on unknown model ${index.model}`);
    if (index.type === 'fulltext') throw new Error('schema-drift: fulltext indexes do not exist on PostgreSQL');
    const table = tableOf(model);
    const columns = index.fields.map((f) => columnOf(model, f.name) + (f.sortOrder === 'desc' ? ' DESC' : ''));
    const plainColumns = index.fields.map((f) => columnOf(model, f.name));
    const name = index.dbName ?? (index.type === 'id' ? constraintName(table, [], 'pkey') : constraintName(table, plainColumns, index.type === 'unique' ? 'key' : 'idx'));
    shape.indexes[name] = {
      table,
      columns,
      unique: index.type !== 'normal',
      primary: index.type === 'id',
      method: (index.algorithm ?? 'BTree').toLowerCase(),
    };
  }
  return shape;
}

const ACTION_CODE: Record<string, string> = { a: 'NO ACTION', r: 'RESTRICT', c: 'CASCADE', n: 'SET NULL', d: 'SET DEFAULT' };

/** The schema the database actually has in `public` (Prisma's own `_prisma_migrations` left out). */
export async function actualSchema(client: Client): Promise<SchemaShape> {
  const shape: SchemaShape = { tables: {}, indexes: {}, foreignKeys: {} };
  const columns = await client.query<{ table: string; column: string; type: string; not_null: boolean; default: string | null }>(`
    SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
           a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS default
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> '_prisma_migrations'
     ORDER BY c.relname, a.attnum`);
  for (const row of columns.rows) {
    (shape.tables[row.table] ??= {})[row.column] = { type: row.type, nullable: !row.not_null, default: row.default };
  }

  const indexes = await client.query<{ name: string; table: string; columns: string[]; unique: boolean; primary: boolean; method: string; extra: string | null }>(`
    SELECT i.relname AS name, t.relname AS table, ix.indisunique AS unique, ix.indisprimary AS primary, am.amname AS method,
           ARRAY(SELECT coalesce(a.attname, pg_get_indexdef(ix.indexrelid, k.ord::int, true))
                        || CASE WHEN ix.indoption[k.ord - 1] & 1 = 1 THEN ' DESC' ELSE '' END
                   FROM unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
                   LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum AND k.attnum > 0
                  ORDER BY k.ord)::text[] AS columns,
           pg_get_expr(ix.indpred, ix.indrelid) AS extra
      FROM pg_index ix
      JOIN pg_class i ON i.oid = ix.indexrelid
      JOIN pg_class t ON t.oid = ix.indrelid
      JOIN pg_namespace n ON n.oid = t.relnamespace
      JOIN pg_am am ON am.oid = i.relam
     WHERE n.nspname = 'public' AND t.relname <> '_prisma_migrations'`);
  for (const row of indexes.rows) {
    shape.indexes[row.name] = {
      table: row.table,
      columns: row.extra ? [...row.columns, `WHERE ${row.extra}`] : row.columns,
      unique: row.unique,
      primary: row.primary,
      method: row.method,
    };
  }

  const fks = await client.query<{ name: string; table: string; ref_table: string; columns: string[]; ref_columns: string[]; del: string; upd: string }>(`
    SELECT con.conname AS name, t.relname AS table, rt.relname AS ref_table,
           ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS columns,
           ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS ref_columns,
           con.confdeltype AS del, con.confupdtype AS upd
      FROM pg_constraint con
      JOIN pg_class t ON t.oid = con.conrelid
      JOIN pg_class rt ON rt.oid = con.confrelid
      JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE con.contype = 'f' AND n.nspname = 'public'`);
  for (const row of fks.rows) {
    shape.foreignKeys[row.name] = {
      table: row.table,
      columns: row.columns,
      refTable: row.ref_table,
      refColumns: row.ref_columns,
      onDelete: ACTION_CODE[row.del],
      onUpdate: ACTION_CODE[row.upd],
    };
  }
  return shape;
}

const describeIndex = (i: IndexShape) =>
  `${i.primary ? 'PRIMARY KEY' : i.unique ? 'UNIQUE' : 'INDEX'} ${i.method === 'btree' ? '' : `USING ${i.method} `}ON ${i.table}(${i.columns.join(', ')})`;
const describeFk = (f: ForeignKeyShape) =>
  `${f.table}(${f.columns.join(', ')}) REFERENCES ${f.refTable}(${f.refColumns.join(', ')}) ON DELETE ${f.onDelete} ON UPDATE ${f.onUpdate}`;

/** Every difference, one readable line each, phrased as "schema.prisma says X, the database has Y". */
export function diffSchemas(expected: SchemaShape, actual: SchemaShape): string[] {
  const out: string[] = [];
  for (const [table, columns] of Object.entries(expected.tables)) {
    const have = actual.tables[table];
    if (!have) {
      out.push(`table ${table}: in schema.prisma, missing from the database`);
      continue;
    }
    for (const [column, want] of Object.entries(columns)) {
      const got = have[column];
      if (!got) {
        out.push(`column ${table}.${column}: in schema.prisma (${want.type}), missing from the database`);
        continue;
      }
      if (got.type !== want.type) out.push(`column ${table}.${column}: type ${want.type} in schema.prisma, ${got.type} in the database`);
      if (got.nullable !== want.nullable) {
        out.push(`column ${table}.${column}: ${want.nullable ? 'nullable' : 'NOT NULL'} in schema.prisma, ${got.nullable ? 'nullable' : 'NOT NULL'} in the database`);
      }
      if (got.default !== want.default) out.push(`column ${table}.${column}: default ${want.default ?? '(none)'} in schema.prisma, ${got.default ?? '(none)'} in the database`);
    }
    for (const column of Object.keys(have)) {
      if (!columns[column]) out.push(`column ${table}.${column}: in the database, not in schema.prisma`);
    }
  }
  for (const table of Object.keys(actual.tables)) {
    if (!expected.tables[table]) out.push(`table ${table}: in the database, not in schema.prisma`);
  }
  const compare = <T>(kind: string, want: Record<string, T>, got: Record<string, T>, describe: (x: T) => string) => {
    for (const [name, w] of Object.entries(want)) {
      const g = got[name];
      if (!g) out.push(`${kind} ${name}: schema.prisma wants ${describe(w)}, missing from the database`);
      else if (describe(g) !== describe(w)) out.push(`${kind} ${name}: schema.prisma wants ${describe(w)}, the database has ${describe(g)}`);
    }
    for (const [name, g] of Object.entries(got)) {
      if (!want[name]) out.push(`${kind} ${name}: the database has ${describe(g)}, not in schema.prisma`);
    }
  };
  compare('index', expected.indexes, actual.indexes, describeIndex);
  compare('foreign key', expected.foreignKeys, actual.foreignKeys, describeFk);
  return out;
}

/** Drift between schema.prisma (default: this package's) and the database at databaseUrl; [] when none. */
export async function checkSchemaDrift(databaseUrl: string, schemaPath: string = defaultSchemaPath()): Promise<string[]> {
  const expected = expectedSchema(readFileSync(schemaPath, 'utf8'));
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return diffSchemas(expected, await actualSchema(client)).map((line) => `${basename(schemaPath)} vs database: ${line}`);
  } finally {
    await client.end();
  }
}
