// A CRI client for the tests: what a kubelet sends to containerd's CRI
// plugin, over its gRPC socket, with @grpc/grpc-js and @grpc/proto-loader
// reading our own runtime-v1.proto at run time. Field names are camelCase
// (proto-loader's default), int64 comes back as a number, enums as their
// names. Every call has a deadline, so a hung runtime fails the test instead
// of stopping the run.
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { repoRoot } from '../../helpers/tsrun.js';

export const PROTO = join(repoRoot, 'test', 'integration', 'cri', 'runtime-v1.proto');

type Message = Record<string, unknown>;
type Unary = (req: Message, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: Message) => void) => void;

export interface NamespaceOption { network?: string; pid?: string; ipc?: string; targetId?: string }
export interface SecurityProfile { profileType: 'RuntimeDefault' | 'Unconfined' | 'Localhost'; localhostRef?: string }
export interface Resources {
  cpuPeriod?: number; cpuQuota?: number; cpuShares?: number; memoryLimitInBytes?: number; oomScoreAdj?: number;
  cpusetCpus?: string; cpusetMems?: string;
}
export interface PodSandboxConfig {
  metadata: { name: string; uid: string; namespace: string; attempt?: number };
  hostname?: string;
  logDirectory?: string;
  labels?: Record<string, string>;
  linux?: {
    cgroupParent?: string;
    securityContext?: {
      namespaceOptions?: NamespaceOption; runAsUser?: { value: number }; readonlyRootfs?: boolean;
      privileged?: boolean; seccomp?: SecurityProfile;
    };
  };
}
export interface MountConfig { containerPath: string; hostPath: string; readonly?: boolean; propagation?: string }
export interface ContainerConfig {
  metadata: { name: string; attempt?: number };
  image: { image: string };
  command?: string[];
  args?: string[];
  workingDir?: string;
  envs?: Array<{ key: string; value: string }>;
  mounts?: MountConfig[];
  logPath?: string;
  tty?: boolean;
  stdin?: boolean;
  linux?: {
    resources?: Resources;
    securityContext?: {
      capabilities?: { addCapabilities?: string[]; dropCapabilities?: string[] };
      privileged?: boolean; namespaceOptions?: NamespaceOption; runAsUser?: { value: number };
      readonlyRootfs?: boolean; noNewPrivs?: boolean; seccomp?: SecurityProfile;
    };
  };
}
export interface ContainerStatus {
  id: string; state: string; exitCode: number; reason: string; message: string; logPath: string;
}
export interface ContainerStats {
  attributes: { id: string; metadata: { name: string } };
  cpu: { timestamp: number; usageCoreNanoSeconds: { value: number } | null } | null;
  memory: { timestamp: number; workingSetBytes: { value: number } | null } | null;
}

export interface CriClient {
  version(): Promise<{ runtimeName: string; runtimeVersion: string; runtimeApiVersion: string }>;
  imageStatus(image: string): Promise<{ id: string; repoTags: string[] } | null>;
  runPodSandbox(config: PodSandboxConfig, runtimeHandler: string): Promise<string>;
  podSandboxStatus(id: string): Promise<{ state: string; ip: string; runtimeHandler: string; info: Record<string, unknown> }>;
  listPodSandbox(): Promise<Array<{ id: string; state: string; runtimeHandler: string }>>;
  stopPodSandbox(id: string): Promise<void>;
  removePodSandbox(id: string): Promise<void>;
  createContainer(podId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string>;
  startContainer(id: string): Promise<void>;
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  removeContainer(id: string): Promise<void>;
  listContainers(): Promise<Array<{ id: string; podSandboxId: string; state: string }>>;
  containerStatus(id: string): Promise<ContainerStatus>;
  updateContainerResources(id: string, linux: Resources): Promise<void>;
  execSync(id: string, cmd: string[], timeoutSeconds?: number): Promise<{ stdout: string; stderr: string; exitCode: number }>;
  exec(id: string, cmd: string[], opts: { tty: boolean; stdin?: boolean; stdout?: boolean; stderr?: boolean }): Promise<string>;
  containerStats(id: string): Promise<ContainerStats>;
  close(): void;
}

/** A client of the CRI services on `socket` (a unix socket path). */
export function criClient(socket: string, deadlineMs = 60_000): CriClient {
  const def = protoLoader.loadSync(PROTO, { keepCase: false, longs: Number, enums: String, defaults: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    runtime: { v1: Record<'RuntimeService' | 'ImageService', grpc.ServiceClientConstructor> };
  };
  const creds = grpc.credentials.createInsecure();
  const runtime = new pkg.runtime.v1.RuntimeService(`unix://${socket}`, creds);
  const images = new pkg.runtime.v1.ImageService(`unix://${socket}`, creds);

  const call = (svc: grpc.Client, method: string, req: Message, ms = deadlineMs) =>
    new Promise<Message>((resolve, reject) => {
      const fn = (svc as unknown as Record<string, Unary>)[method]!.bind(svc);
      fn(req, new grpc.Metadata(), { deadline: Date.now() + ms }, (err, res) => {
        if (err) reject(new Error(`CRI ${method}: ${err.details || err.message}`));
        else resolve(res);
      });
    });
  const rt = (method: string, req: Message, ms?: number) => call(runtime, method, req, ms);

  return {
    version: async () => (await rt('Version', { version: 'v1' })) as never,
    async imageStatus(image) {
      const res = await call(images, 'ImageStatus', { image: { image } });
      return (res.image as { id: string; repoTags: string[] } | null) ?? null;
    },
    async runPodSandbox(config, runtimeHandler) {
      return (await rt('RunPodSandbox', { config, runtimeHandler } as Message)).podSandboxId as string;
    },
    async podSandboxStatus(id) {
      const res = await rt('PodSandboxStatus', { podSandboxId: id, verbose: true });
      const st = res.status as { state: string; network: { ip: string } | null; runtimeHandler: string };
      const info = res.info as Record<string, string>;
      return {
        state: st.state,
        ip: st.network?.ip ?? '',
        runtimeHandler: st.runtimeHandler,
        info: info.info ? (JSON.parse(info.info) as Record<string, unknown>) : {},
      };
    },
    listPodSandbox: async () => (await rt('ListPodSandbox', {})).items as never,
    stopPodSandbox: async (id) => void (await rt('StopPodSandbox', { podSandboxId: id })),
    removePodSandbox: async (id) => void (await rt('RemovePodSandbox', { podSandboxId: id })),
    async createContainer(podId, config, sandboxConfig) {
      const res = await rt('CreateContainer', { podSandboxId: podId, config, sandboxConfig } as unknown as Message);
      return res.containerId as string;
    },
    startContainer: async (id) => void (await rt('StartContainer', { containerId: id })),
    // the deadline covers the grace period
    stopContainer: async (id, timeout) => void (await rt('StopContainer', { containerId: id, timeout }, deadlineMs + timeout * 1000)),
    removeContainer: async (id) => void (await rt('RemoveContainer', { containerId: id })),
    listContainers: async () => (await rt('ListContainers', {})).containers as never,
    containerStatus: async (id) => (await rt('ContainerStatus', { containerId: id })).status as never,
    updateContainerResources: async (id, linux) => void (await rt('UpdateContainerResources', { containerId: id, linux } as Message)),
    async execSync(id, cmd, timeout = 0) {
      const res = await rt('ExecSync', { containerId: id, cmd, timeout }, deadlineMs + timeout * 1000);
      return { stdout: String(res.stdout), stderr: String(res.stderr), exitCode: res.exitCode as number };
    },
    async exec(id, cmd, o) {
      const res = await rt('Exec', { containerId: id, cmd, tty: o.tty, stdin: o.stdin ?? false, stdout: o.stdout ?? true, stderr: o.stderr ?? !o.tty });
      return res.url as string;
    },
    containerStats: async (id) => (await rt('ContainerStats', { containerId: id })).stats as never,
    close() {
      runtime.close();
      images.close();
    },
  };
}
