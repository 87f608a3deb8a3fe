import { InvalidConfigError, Secret } from '@tokens/core';
import { isSecretValue, type SecretInput } from './secret-input';

export interface LoadSettingOptions<T = string> {
  /** The value passed in code. Wins over the environment. */
  value: T | undefined;
  /** Environment variable to fall back to, e.g. "FYERS_APP_SECRET". */
  environmentVariableName?: string;
  /** The settings field, e.g. "appSecret"; used in the fix-it message. */
  parameterName?: string;
  /** What it is, for humans: "FYERS app secret". */
  description: string;
  /** Where to look up `environmentVariableName`. Default `process.env`, read when called (never at import). */
  environment?: Record<string, string | undefined>;
}

function readEnvironment(options: LoadSettingOptions<unknown>): string | undefined {
  const name = options.environmentVariableName;
  if (name === undefined) return undefined;
  const environment = options.environment ?? (typeof process === 'undefined' ? {} : process.env);
  const value = environment[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

function howToFix(options: LoadSettingOptions<unknown>): string {
  const { parameterName, environmentVariableName } = options;
  if (parameterName && environmentVariableName) return `Pass it as \`${parameterName}\` or set ${environmentVariableName}.`;
  if (parameterName) return `Pass it as \`${parameterName}\`.`;
  if (environmentVariableName) return `Set ${environmentVariableName}.`;
  return 'Pass it in the settings.';
}

function configError(options: LoadSettingOptions<unknown>, problem: string): InvalidConfigError {
  const message = `${options.description} ${problem}. ${howToFix(options)}`;
  const path = options.parameterName ?? options.environmentVariableName ?? options.description;
  return new InvalidConfigError({ message, issues: [{ path, message }] });
}

/** The value, else the environment variable, else `undefined`. Empty strings count as missing. */
export function loadOptionalSetting(options: LoadSettingOptions): string | undefined {
  const { value } = options;
  if (value !== undefined && value !== null) {
    if (typeof value !== 'string') throw configError(options as LoadSettingOptions<unknown>, 'must be a string');
    if (value.trim() !== '') return value;
  }
  return readEnvironment(options as LoadSettingOptions<unknown>);
}

/**
 * The value, else the environment variable; otherwise throws `InvalidConfigError` saying how
 * to fix it: "FYERS app secret is missing. Pass it as `appSecret` or set FYERS_APP_SECRET."
 */
export function loadSetting(options: LoadSettingOptions): string {
  const value = loadOptionalSetting(options);
  if (value === undefined) throw configError(options as LoadSettingOptions<unknown>, 'is missing');
  return value;
}

/** Like {@link loadSetting} for credentials: accepts a `SecretValue` and returns a `Secret`. */
export function loadSecretSetting(options: LoadSettingOptions<SecretInput>): Secret {
  const { value } = options;
  if (isSecretValue(value)) {
    const raw = value.reveal();
    if (raw.trim() !== '') return Secret.from(value);
    return Secret.from(loadSetting({ ...options, value: undefined }));
  }
  return new Secret(loadSetting({ ...options, value }));
}

/** Removes trailing slashes: "https://api.example.com/v1/" → "https://api.example.com/v1". */
export function withoutTrailingSlash(url: string): string;
export function withoutTrailingSlash(url: string | undefined): string | undefined;
export function withoutTrailingSlash(url: string | undefined): string | undefined {
  return url?.replace(/\/+$/, '');
}
