export * from './types';
export * from './quote';
export * from './compile';
