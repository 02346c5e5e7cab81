import type { Command } from 'commander';
import { PluginConfigError, listPluginNames, readPluginConfig, setPluginEnabled, setPluginRooms, type PluginConfig } from '../../plugins/plugin-config';
import type { CliContext } from '../context';
import { CliError } from '../io';

/**
 * `plugins list|enable|disable|rooms`: the configurations in PLUGINS_DIR (issue 16). Files only: a running
 * server notices a change within PLUGIN_RELOAD_INTERVAL and starts or stops the plugin.
 */
export function registerPluginCommands(program: Command, ctx: CliContext): void {
  const plugins = program.command('plugins').description('Plugins: hooks on posts, reactions, uploads and bot DMs, in a worker or behind a webhook (docs/plugins.md)');
  const summary = (c: PluginConfig) => ({
    name: c.name,
    enabled: c.enabled,
    kind: c.webhook ? 'webhook' : 'worker',
    target: c.webhook ?? c.modulePath,
    default: c.default,
    permissions: c.permissions,
    bot: c.bot ?? null,
    events: c.events ?? 'all',
  });
  const guard = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof PluginConfigError) throw new CliError(err.message);
      throw err;
    }
  };

  plugins
    .command('list')
    .description('List the configured plugins: name, enabled, worker or webhook, default decision, permissions')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      const dir = ctx.config().PLUGINS_DIR;
      const rows = listPluginNames(dir).map((name) => {
        try {
          return summary(readPluginConfig(dir, name));
        } catch (err) {
          return { name, error: (err as Error).message };
        }
      });
      if (opts.json) return ctx.json(rows);
      for (const r of rows) {
        if ('error' in r) ctx.out(`${r.name}\tinvalid\t${r.error}`);
        else ctx.out(`${r.name}\t${r.enabled ? 'enabled' : 'disabled'}\t${r.kind} ${r.target}\tdefault ${r.default}\tpermissions ${r.permissions.join(',') || '-'}`);
      }
    });

  for (const [verb, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    plugins
      .command(`${verb} <name>`)
      .description(`${enabled ? 'Enable' : 'Disable'} a plugin (PLUGINS_DIR/NAME.json); a running server follows within PLUGIN_RELOAD_INTERVAL`)
      .action((name: string) => {
        const c = guard(() => setPluginEnabled(ctx.config().PLUGINS_DIR, name, enabled));
        ctx.out(`Plugin ${c.name} ${enabled ? 'enabled' : 'disabled'}`);
      });
  }

  const collect = (value: string, all: string[]) => [...all, value];
  plugins
    .command('rooms <name>')
    .description("Add or remove rooms in a plugin's settings.rooms (the rooms the shipped greeter gates and the flood guard watches); prints the list")
    .option('--add <room>', 'a room to add (repeatable)', collect, [])
    .option('--remove <room>', 'a room to remove (repeatable)', collect, [])
    .option('--json', 'print JSON')
    .action((name: string, opts: { add: string[]; remove: string[]; json?: boolean }) => {
      const dir = ctx.config().PLUGINS_DIR;
      const c = guard(() => (opts.add.length || opts.remove.length ? setPluginRooms(dir, name, opts) : readPluginConfig(dir, name)));
      const rooms = Array.isArray(c.settings?.rooms) ? (c.settings.rooms as string[]) : null;
      if (opts.json) return ctx.json({ name: c.name, rooms });
      ctx.out(rooms === null ? `Plugin ${c.name}: no settings.rooms (the flood guard then watches every room)` : `Plugin ${c.name} rooms: ${rooms.join(', ') || '(none)'}`);
    });
}
