import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { JobsModule } from '../jobs/jobs.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { MasterKeyring } from './encryption/master-keys';
import { BlocklistRepository } from './blocklist.repository';
import { BlocklistService } from './blocklist.service';
import { FileExpiryService } from './file-expiry.service';
import { FileServerService } from './file-server.service';
import { FilesRepository } from './files.repository';
import { FilesService } from './files.service';
import { MASTER_KEYRING, ObjectStore } from './object-store.service';
import { RoomFiles } from './room-files';
import { OBJECT_STORAGE } from './storage/object-storage';
import { createObjectStorage } from './storage/storage.factory';
import { UploadLimits } from './upload-limits';
import { PluginHooksModule } from '../plugins/plugin-hooks.module';

/**
 * Room files (protocol §6.6), the file server (§12), encrypted object storage and file expiry (§9.3).
 * FilesService is the face other modules use (uploads, expiry scheduling, sweep, rewrap); RoomFiles is
 * what the rooms module changes in room files inside its own transactions.
 */
@Module({
  imports: [JobsModule, RateLimitModule, AuditModule, PluginHooksModule],
  providers: [
    { provide: OBJECT_STORAGE, inject: [APP_CONFIG], useFactory: (config: AppConfig) => createObjectStorage(config) },
    { provide: MASTER_KEYRING, inject: [APP_CONFIG], useFactory: (config: AppConfig) => MasterKeyring.fromFiles(config.MASTER_KEY_FILE, config.MASTER_KEY_OLD_FILES) },
    FilesRepository,
    BlocklistRepository,
    BlocklistService,
    ObjectStore,
    FileExpiryService,
    UploadLimits,
    FilesService,
    FileServerService,
    RoomFiles,
  ],
  exports: [FilesService, FileServerService, RoomFiles, BlocklistService],
})
export class FilesModule {}
