import type { Request } from 'express';

/** The public origin: CHRONO_BASE_URL when set, else what the request was addressed to. */
export function originOf(req: Request, baseUrl: string | undefined): string {
  return baseUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

export function absolute(req: Request, baseUrl: string | undefined, path: string): string {
  return `${originOf(req, baseUrl)}${path}`;
}
