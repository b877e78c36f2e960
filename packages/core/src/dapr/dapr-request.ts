/** A Dapr TryLockRequest body, after protobuf-JSON decoding. */
export interface DaprTryLockRequest {
  readonly resourceId: string;
  readonly lockOwner: string;
  readonly expiryInSeconds: number;
}

/** A Dapr UnlockRequest body, after protobuf-JSON decoding. */
export interface DaprUnlockRequest {
  readonly resourceId: string;
  readonly lockOwner: string;
}
