export * from './schema';
export * from './migrate';
export * from './serialize';
export * from './lock';
