import type { z } from 'zod';

/** "field: reason; field: reason" from a zod error, for 400 responses. */
export function describeZodError(error: z.ZodError): string {
  return error.issues.map(i => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`).join('; ');
}
