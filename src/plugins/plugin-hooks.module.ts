import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module';
import { PluginHooks } from './plugin-hooks.service';
import { PluginState } from './plugin-state.service';
import { PluginStateStore } from './plugin-state.store';

/**
 * The hooks the request paths call (posts, reactions, uploads, DMs). Depends on no domain module,
 * so rooms, files and inbox may import it; what plugins do is PluginsModule's.
 */
@Module({
  imports: [JobsModule],
  providers: [PluginHooks, PluginState, PluginStateStore],
  exports: [PluginHooks],
})
export class PluginHooksModule {}
