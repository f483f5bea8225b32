export * from './types';
export * from './quote';
export * from './compile';
export { checkTarget, unsafeSlurmValue } from './check';
export { chooseEnvironment, blockEnvironments, describeOffer, pulledImageName } from './environment';
export type { EnvironmentChoice } from './environment';
export { estimateResources, resolveResources, slurmTime } from './resources';
