import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { ConfigIssue } from '@tokens/core';

const REF = /\$\{(env|file):([^}]+)\}/g;

export interface InterpolateContext {
  environment: NodeJS.ProcessEnv;
  /** Relative `${file:…}` paths resolve against the config file's folder. */
  baseDir: string;
  issues: ConfigIssue[];
}

/**
 * Replaces `${env:NAME}` and `${file:PATH}` in every string of the config, so secrets never
 * have to be written inline. A missing variable or unreadable file is a config issue naming
 * the field, never a silent empty string.
 */
export function interpolate(value: unknown, ctx: InterpolateContext, path = ''): unknown {
  if (typeof value === 'string') {
    return value.replace(REF, (_all, kind: string, ref: string) => {
      const name = ref.trim();
      if (kind === 'env') {
        const v = ctx.environment[name];
        if (v === undefined || v === '') {
          ctx.issues.push({ path, message: `environment variable ${name} is not set. Export it, or put the value in a file and use \${file:PATH}.` });
          return '';
        }
        return v;
      }
      const file = isAbsolute(name) ? name : resolve(ctx.baseDir, name);
      try {
        return readFileSync(file, 'utf8').trim();
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
        ctx.issues.push({ path, message: `cannot read secret file ${name} (${code}). Create it with mode 0600 or fix the path.` });
        return '';
      }
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, ctx, `${path}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, ctx, path ? `${path}.${k}` : k)]));
  }
  return value;
}
