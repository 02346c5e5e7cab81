export * from './sogs-client';
export * from './sogs-response';
export * from './onion-request';
export * from './probe';
