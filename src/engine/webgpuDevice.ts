// The GPU device the WebGPU sessions run on. The engine asks for its own adapter and device and
// hands the device to onnxruntime (the `device` option of the webgpu execution provider) instead of
// letting onnxruntime create one: onnxruntime-web 1.30 keeps its own device for the life of the
// page, so after a device loss no new session could run; a device of ours is replaced by a new one.
// Structural types only: the engine compiles without the DOM's WebGPU typings, and tests inject fakes.

/** The part of a GPUAdapter the engine reads. */
export interface GpuAdapterLike {
  readonly features: ReadonlySet<string>;
  readonly limits: Readonly<Record<string, number>>;
  readonly info?: { readonly vendor?: string; readonly architecture?: string; readonly description?: string };
  requestDevice(descriptor: { requiredFeatures: string[]; requiredLimits: Record<string, number> }): Promise<GpuDeviceLike>;
}

/** The part of a GPUDevice the engine uses (loss, and the buffers of a truncated KV cache). */
export interface GpuDeviceLike {
  readonly lost: Promise<{ readonly reason?: string; readonly message?: string }>;
  readonly features: ReadonlySet<string>;
  destroy(): void;
}

export interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<GpuAdapterLike | null>;
}

/** What the engine knows of the adapter before it opens anything: the dtype choice reads it. */
export interface GpuAdapterFacts {
  /** Vendor and architecture, for messages (e.g. "google swiftshader"). */
  readonly name: string;
  readonly features: ReadonlySet<string>;
}

/** The WebGPU side of a runtime: injectable, so the engine's choices are testable in Node. */
export interface WebGpu {
  /** The adapter's facts, asked for once. Rejects when there is no adapter. */
  adapter(): Promise<GpuAdapterFacts>;
  /** The device sessions run on now; once it was lost (or dropped), a new one on a fresh adapter. */
  device(): Promise<GpuDeviceLike>;
  /** True from the moment the device handed out last was lost, until the next device() call. */
  readonly lost: boolean;
  /** Forgets the current device (after its sessions were released), so device() asks for a new one. */
  drop(): void;
}

/** GPUFeatureName of half-precision arithmetic in shaders: fp16 graphs need it on WebGPU. */
export const SHADER_F16 = 'shader-f16';

/**
 * Optional features onnxruntime's WebGPU kernels use when the device has them (its own device asks
 * for the same): f16 shaders for fp16 graphs, subgroups for faster reductions.
 */
const OPTIONAL_FEATURES = [SHADER_F16, 'subgroups'];

/** Limits onnxruntime raises to the adapter's (as its own device does): large weights, big workgroups. */
const RAISED_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
];

/** An error message of a run whose device went away (onnxruntime passes WebGPU's text through). */
const DEVICE_LOST = /device (was |is )?(lost|destroyed)|lost before|GPUDevice.*lost/i;

export function isDeviceLostMessage(message: string): boolean {
  return DEVICE_LOST.test(message);
}

export function adapterName(adapter: Pick<GpuAdapterLike, 'info'>): string {
  const info = adapter.info;
  const name = [info?.vendor, info?.architecture].filter((p) => p !== undefined && p !== '').join(' ');
  return name || 'the GPU adapter';
}

/** The WebGPU of the page or webview this runs in (navigator.gpu), or of `gpu` when given. */
export function navigatorWebGpu(gpu: GpuLike | undefined = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu): WebGpu {
  return new AdapterWebGpu(gpu);
}

class AdapterWebGpu implements WebGpu {
  private facts: Promise<GpuAdapterFacts> | undefined;
  private current: Promise<GpuDeviceLike> | undefined;
  private lostFlag = false;

  constructor(private readonly gpu: GpuLike | undefined) {}

  get lost(): boolean {
    return this.lostFlag;
  }

  private async requestAdapter(): Promise<GpuAdapterLike> {
    if (!this.gpu) throw new Error('WebGPU is not available here (no navigator.gpu)');
    const adapter = await this.gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) throw new Error('WebGPU has no adapter here (a VM or a software-only GPU, or WebGPU disabled)');
    return adapter;
  }

  adapter(): Promise<GpuAdapterFacts> {
    this.facts ??= this.requestAdapter().then((a) => ({ name: adapterName(a), features: new Set(a.features) }));
    return this.facts;
  }

  device(): Promise<GpuDeviceLike> {
    if (this.current && !this.lostFlag) return this.current;
    this.lostFlag = false;
    // A fresh adapter each time: an adapter gives out one device, and a lost one's may be gone too.
    const opened = this.requestAdapter().then(async (adapter) => {
      const device = await adapter.requestDevice({
        requiredFeatures: OPTIONAL_FEATURES.filter((f) => adapter.features.has(f)),
        requiredLimits: Object.fromEntries(RAISED_LIMITS.filter((l) => typeof adapter.limits[l] === 'number').map((l) => [l, adapter.limits[l] as number])),
      });
      void device.lost.then(() => {
        if (this.current === opened) this.lostFlag = true;
      });
      return device;
    });
    this.current = opened;
    return opened;
  }

  drop(): void {
    const device = this.current;
    this.current = undefined;
    this.lostFlag = false;
    void device?.then((d) => d.destroy()).catch(() => undefined);
  }
}
