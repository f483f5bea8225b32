import { z } from 'zod';

/**
 * A target is where a pipeline runs. Profiles are data (resources/targets/*.yaml). This first
 * version knows only "local" ("This computer"); cluster profiles extend it with Slurm facts.
 */
export const zTargetProfile = z.object({
  id: z.string().regex(/^[a-z][a-z0-9-]{0,47}$/),
  title: z.string().min(1),
  description: z.string().default(''),
  kind: z.enum(['local']),
});
export type TargetProfile = z.infer<typeof zTargetProfile>;

export const LOCAL_TARGET_ID = 'local';
