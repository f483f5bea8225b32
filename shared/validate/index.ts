export * from './validate';
export * from './sweeps';
