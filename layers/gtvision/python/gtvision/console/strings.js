/* GT-Vision console — every label table and message of the console in pt-BR, in one place. */

export const ROLE = { admin: "administrador", manager: "gestor", viewer: "visualizador" };
// `status` of a camera is what was observed (online/offline/unknown); `stream_status` what a manager asked.
export const CAMERA_STATUS = {
  online: "online", offline: "offline", unknown: "desconhecido",
  registered: "cadastrada", streaming: "transmitindo", stopped: "parada",
};
export const CLIP_STATUS = { queued: "na fila", processing: "processando", ready: "pronto", failed: "falhou" };
export const ALERT_KIND = {
  watchlist: "lista de observação", clone_suspect: "suspeita de placa clonada",
  camera_offline: "câmera offline", recording_stalled: "gravação parada", recording_changed: "gravação alterada",
};
export const PLAN = { 7: "7 dias", 15: "15 dias", 30: "30 dias" };

export const MSG = {
  network: "Sem conexão com a API. Verifique a rede e tente de novo.",
  httpStatus: (status) => `A API respondeu ${status}.`,
  none: "—",
  yes: "sim",
  no: "não",
  loadMore: "Carregar mais",
  cameras: "Câmeras",
  city: "Cidade",
  camera: "Câmera",
  days: (n) => `${n} dias`,
  alerts: "Alertas",
  openAlerts: "Alertas abertos",
  stillOpen: "em aberto",
  noTrouble: "Nenhuma câmera com problema.",
  seeOpenAlerts: "Ver alertas abertos",
  since: (when) => ` desde ${when}`,
  recordingStalled: "gravação parada",
  health: {
    cameras: "câmeras", online: "online", offline: "offline", unknown: "desconhecidas",
    stalled: "com gravação parada", openAlerts: "alertas abertos", lpr: "leituras LPR na última hora",
  },
  clipEndBeforeStart: "O fim do recorte deve ser depois do início.",
  noThumbs: "Sem miniaturas neste intervalo.",
  noLive: "Sem transmissão ao vivo no momento.",
  startStream: "Iniciar transmissão",
  stopStream: "Parar transmissão",
  watchLive: "Assistir ao vivo no player",
  live: "Ao vivo",
  playbackFailed: (details) => `Falha na reprodução (${details}).`,
  noHls: "Este navegador não reproduz HLS.",
  showing: (when) => `Exibindo ${when}`,
  download: "Baixar",
  exact: "exato",
  fast: "rápido",
  trajectory: "Trajeto",
  trajectoryOf: (plate) => `Trajeto de ${plate}`,
  noReads: "Nenhuma leitura no período.",
  truncated: " · lista truncada: reduza o período",
  speedUnknown: "velocidade —",
  zoneNote: (zone) => `Horário local da cidade (${zone}), no dia escolhido na linha do tempo. Clique na linha do tempo para começar num instante.`,
};
