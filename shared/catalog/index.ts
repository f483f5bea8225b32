export * from './schema';
export * from './formats';
export * from './params';
export * from './template';
export * from './catalog';
export * from './i18n';
