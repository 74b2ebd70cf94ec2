/* GT-Vision console — why a camera is not live, in words an operator reads ("câmera sem sinal desde 09:42",
 * "transmissão parada por ana às 10:15"), from what the API already says: the stream answer's status and
 * live state, the health's status and since, and (for managers, who may read it) the audit trail's stop. */

import { api, canManage } from "./core.js";
import { showTime } from "./format.js";
import { MSG } from "./strings.js";

const clock = (at) => showTime(at).slice(0, 5);

/** Who stopped the camera's stream and when (the newest `stop_stream` of the audit trail), or null. */
async function stoppedBy(cameraId) {
  if (!canManage()) return null; // viewers may not read the audit trail
  try {
    const page = await api("GET", "/v1/audit", { query: { action: "stop_stream", limit: 100 } });
    return page.items.find((e) => e.resource.endsWith(`/cameras/${cameraId}/stream/stop`) && e.status < 300) || null;
  } catch {
    return null;
  }
}

/** The reason the camera is not live now, or null when it should be playing (streaming and online).
 * `stream` is its `GET /v1/cameras/{id}/stream` answer when the caller has it (else it is read now). */
export async function whyNotLive(cameraId, stream = null) {
  const id = encodeURIComponent(cameraId);
  let current = stream;
  if (!current) {
    try {
      current = await api("GET", `/v1/cameras/${id}/stream`);
    } catch {
      return MSG.why.unknown;
    }
  }
  if (current.status === "stopped") {
    const entry = await stoppedBy(cameraId);
    return entry ? MSG.why.stoppedBy(entry.actor || MSG.why.someone, clock(entry.at)) : MSG.why.stopped;
  }
  if (current.status !== "streaming") return MSG.why.notStarted;
  if (current.live && current.live.ready) return null;
  try {
    const health = await api("GET", `/v1/cameras/${id}/stream/metrics`);
    if (health.status === "offline" && health.since) return MSG.why.noSignalSince(clock(health.since));
  } catch {
    /* the health is optional here: the plain reason below */
  }
  return MSG.why.noSignal;
}
