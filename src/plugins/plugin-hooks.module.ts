import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module';
import { PluginHooks } from './plugin-hooks.service';

/**
 * The hooks the request paths call (posts, reactions, uploads, DMs). Depends on no domain module,
 * so rooms, files and inbox may import it; what plugins do is PluginsModule's.
 */
@Module({
  imports: [JobsModule],
  providers: [PluginHooks],
  exports: [PluginHooks],
})
export class PluginHooksModule {}
