export { startFakeSchwab, type FakeSchwabOptions, type FakeSchwabServer, type FakeSchwabSession } from './fake-schwab';
export {
  apiErrorBody,
  codeExpiredBody,
  codeInvalidBody,
  invalidClientBody,
  refreshTokenDeadBody,
  tokenBody,
  tokenDigest,
} from './fake-bodies';
export type { FakeFaultMode, FakeFaultOptions } from '@tokens/broker-utils/testing';
