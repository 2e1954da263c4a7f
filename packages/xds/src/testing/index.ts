/** Test helpers of @mosn/xds, for this and other packages' tests (`@mosn/xds/testing`): not part of the library. */
export { TestControlPlane, type ControlPlaneOptions, type NamedResource } from './control-plane.js';
export type { RecordedRequest, RecordedResponse } from './recording.js';
export type { PackedResource } from './snapshot.js';
