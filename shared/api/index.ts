export * from './result';
export * from './types';
export * from './contract';
export * from './wire';
