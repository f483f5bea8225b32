import { ErrorCode } from '../../shared/api';
import type { SshError } from '../ssh/transport';

/** The contract's error code for each way an SSH connection can fail. */
export const SSH_ERROR_CODES: Record<SshError['kind'], ErrorCode> = {
  'host-key-changed': ErrorCode.HostKeyChanged,
  'host-key-unknown': ErrorCode.HostKeyUnknown,
  'auth-failed': ErrorCode.LoginFailed,
  cancelled: ErrorCode.LoginCancelled,
  unreachable: ErrorCode.ClusterUnreachable,
  closed: ErrorCode.ClusterUnreachable,
  remote: ErrorCode.RemoteStorage,
};
