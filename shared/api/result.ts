/**
 * Errors cross every boundary (IPC, WebSocket, CLI) as data, because Electron keeps only the
 * `message` of a thrown error. Every failure a user can meet has a numbered code and a fix hint.
 */
export const ErrorCode = {
  /** Arguments did not match the contract's schema. */
  BadRequest: 'E100',
  /** The caller is not allowed (wrong frame, wrong token). */
  Forbidden: 'E101',
  /** A method that does not exist on the contract. */
  UnknownMethod: 'E102',
  /** The backend threw something it did not expect: a bug, reported with its message. */
  Internal: 'E103',
  /** This front door cannot do it (e.g. native dialogs in a browser tab). */
  Unsupported: 'E104',
  /** The front door lost its connection to the backend (browser host stopped, network gone). */
  Disconnected: 'E105',
  /** A file could not be read or parsed as a pipeline. */
  DocumentInvalid: 'E200',
  /** A file could not be read (missing, permission). */
  FileUnreadable: 'E201',
  /** A file could not be written; the previous file is left intact. */
  FileUnwritable: 'E202',
  /** The pipeline has validation errors and cannot be compiled or run. */
  PipelineInvalid: 'E300',
  /** The requested target profile does not exist. */
  UnknownTarget: 'E301',
  /** Python 3 was not found. */
  PythonMissing: 'E400',
  /** Python packages a block needs are missing. */
  PythonPackagesMissing: 'E401',
  /** The run id is not known. */
  UnknownRun: 'E402',
  /** The run folder could not be created or written. */
  RunStorage: 'E403',
  /** A requested file is outside the run folder or missing. */
  RunFileMissing: 'E404',
  /** The example id is not known. */
  UnknownExample: 'E405',
  /** Command-line tools a block needs (its system environment) are not on PATH. */
  ToolsMissing: 'E406',
  /** The cluster's host key is not the one known_hosts has: possibly an attack; nothing was sent. */
  HostKeyChanged: 'E500',
  /** First contact with a host and its key was not accepted. */
  HostKeyUnknown: 'E501',
  /** The cluster refused the login (wrong password, code or key); not retried automatically. */
  LoginFailed: 'E502',
  /** The cluster cannot be reached (network, VPN, host down). */
  ClusterUnreachable: 'E503',
  /** A file operation or command on the cluster failed (permission, full disk, missing path). */
  RemoteStorage: 'E504',
  /** Slurm refused a submission (account, QoS, partition, limits). */
  SubmitRefused: 'E505',
  /** The user cancelled a prompt (password, code, host key). */
  LoginCancelled: 'E506',
  /** A workshop pack is damaged or unsafe (links, paths outside its folder, missing parts); nothing was unpacked. */
  PackInvalid: 'E660',
  /** A workshop pack (or the data to put in one) is over the size cap. */
  PackTooLarge: 'E661',
  /** "Reset to the original" on a pipeline that was not opened from a workshop pack. */
  NotAWorkshop: 'E662',
  // Run history (E46x).
  /** A past run kept no copy of its pipeline (made by an older Fluxo) or the copy is unreadable. */
  RunPipelineMissing: 'E460',
  /** Results: exporting a run to an archive failed (disk full, no permission). */
  ExportFailed: 'E420',
  /** Results: the system could not open the run folder in its file manager. */
  OpenFolderFailed: 'E421',
  /** A remote folder to browse does not exist (inspector's remote path browser). */
  RemotePathMissing: 'E520',
  /** A remote folder to browse may not be read by this account. */
  RemotePathDenied: 'E521',
  /** A target profile does not pass the profile schema (field and message in details). */
  TargetInvalid: 'E510',
  /** A profile with that id is already one of the user's own. */
  TargetExists: 'E511',
  /** Shipped profiles cannot be changed or deleted (make your own copy). */
  TargetShipped: 'E512',
  /** The ssh config file, or the Host asked for, is not there. */
  SshHostUnknown: 'E513',
  /** A login prompt that is no longer asked (answered in another window, timed out). */
  PromptGone: 'E514',
  /** <FLUXO_HOME>/settings.json could not be read or written. */
  SettingsUnwritable: 'E515',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface FluxoError {
  code: ErrorCode;
  /** One line a user can read: what went wrong and where. */
  message: string;
  /** One line saying how to fix it, when there is something to do. */
  hint?: string;
  /** Structured detail (e.g. validation problems) for front doors that can show more. */
  details?: unknown;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: FluxoError };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function err<T = never>(code: ErrorCode, message: string, hint?: string, details?: unknown): Result<T> {
  const error: FluxoError = { code, message };
  if (hint !== undefined) error.hint = hint;
  if (details !== undefined) error.details = details;
  return { ok: false, error };
}

/** Thrown inside backend services to return a typed error from deep code; `register` turns it into a Result. */
export class FluxoFailure extends Error {
  constructor(public readonly error: FluxoError) {
    super(error.message);
    this.name = 'FluxoFailure';
  }
}

export function fail(code: ErrorCode, message: string, hint?: string, details?: unknown): never {
  const error: FluxoError = { code, message };
  if (hint !== undefined) error.hint = hint;
  if (details !== undefined) error.details = details;
  throw new FluxoFailure(error);
}
