export type * from './alert-sink';
export type * from './broker-adapter';
export type * from './clock';
export type * from './lock';
export type * from './logger';
export type * from './secret';
export type * from './token-set';
export type * from './token-store';
