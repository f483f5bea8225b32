export * from './schema';
export * from './formats';
export * from './params';
export * from './template';
export * from './catalog';
