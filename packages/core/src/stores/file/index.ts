export { createFileTokenStore, type FileTokenStore, type FileTokenStoreOptions } from './file-store';
export type { FileRecordV1 } from './record';
export {
  decryptTokenSet,
  encryptTokenSet,
  EncryptionKey,
  isEncryptedEnvelope,
  loadEncryptionKey,
  type EncryptedEnvelopeV1,
  type LoadEncryptionKeyOptions,
} from '../encryption';
export { openTokenSet, sealTokenSet, type OpenedTokenSet, type SealedTokenSet } from '../token-payload';
