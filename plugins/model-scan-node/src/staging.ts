import { createReadStream } from 'node:fs';
import {
  BlobSASPermissions,
  BlobServiceClient,
  ContainerClient,
  generateBlobSASQueryParameters,
  SASProtocol,
  StorageSharedKeyCredential,
  UserDelegationKey,
} from '@azure/storage-blob';
import type { TokenCredential } from '@azure/identity';

/**
 * Where an isolated scan reads its input and writes its result. Each staged run gets two URLs that
 * carry their own, narrow credential: read-only for the one input, create/write-only for the one
 * result (the scan-scoped credential), both expiring shortly after the run's deadline.
 *
 * @public
 */
export interface StagedRun {
  inputUrl: string;
  resultUrl: string;
  /** The result document the job wrote, or undefined when it wrote none. */
  readResult(): Promise<string | undefined>;
  /** Deletes the staged input and result. */
  cleanup(): Promise<void>;
}

/** @public */
export interface JobStaging {
  stage(localPath: string, runId: string, expiresAt: Date): Promise<StagedRun>;
}

/** @public */
export interface AzureBlobJobStagingOptions {
  endpoint: string;
  container: string;
  /** Folder for staged runs. Default `scan-jobs/`. */
  prefix?: string;
  credential: TokenCredential | StorageSharedKeyCredential;
  /** Largest result document read back. Default 64 MiB. */
  maxResultBytes?: number;
}

/**
 * Stages runs in Azure Blob Storage: the input is uploaded to `<prefix><runId>/input`, and the
 * job gets SAS URLs (service SAS with a shared key — Azurite — or user-delegation SAS with Entra
 * ID in production) for that blob (read) and `<prefix><runId>/result.json` (create + write).
 *
 * @public
 */
export class AzureBlobJobStaging implements JobStaging {
  private readonly container: ContainerClient;
  private readonly prefix: string;
  private ready: Promise<unknown> | undefined;

  constructor(private readonly options: AzureBlobJobStagingOptions) {
    this.container = new BlobServiceClient(
      options.endpoint,
      options.credential,
    ).getContainerClient(options.container);
    this.prefix = options.prefix ?? 'scan-jobs/';
  }

  private async sasUrl(
    blobName: string,
    permissions: string,
    expiresOn: Date,
  ): Promise<string> {
    const blob = this.container.getBlockBlobClient(blobName);
    const startsOn = new Date(Date.now() - 5 * 60_000);
    const values = {
      containerName: this.container.containerName,
      blobName,
      permissions: BlobSASPermissions.parse(permissions),
      startsOn,
      expiresOn,
      protocol: blob.url.startsWith('https:')
        ? SASProtocol.Https
        : SASProtocol.HttpsAndHttp,
    };
    const credential = this.options.credential;
    let query: string;
    if (credential instanceof StorageSharedKeyCredential) {
      query = generateBlobSASQueryParameters(values, credential).toString();
    } else {
      const service = new BlobServiceClient(this.options.endpoint, credential);
      const key: UserDelegationKey = await service.getUserDelegationKey(
        startsOn,
        expiresOn,
      );
      query = generateBlobSASQueryParameters(
        values,
        key,
        service.accountName,
      ).toString();
    }
    return `${blob.url}?${query}`;
  }

  async stage(
    localPath: string,
    runId: string,
    expiresAt: Date,
  ): Promise<StagedRun> {
    if (!/^[a-z0-9-]{8,64}$/.test(runId))
      throw new Error(`bad run id ${runId}`);
    this.ready ??= this.container.createIfNotExists().catch(e => {
      this.ready = undefined;
      throw e;
    });
    await this.ready;
    const inputName = `${this.prefix}${runId}/input`;
    const resultName = `${this.prefix}${runId}/result.json`;
    await this.container
      .getBlockBlobClient(inputName)
      .uploadStream(createReadStream(localPath), 4 << 20, 2);
    const maxResult = this.options.maxResultBytes ?? 64 << 20;
    return {
      inputUrl: await this.sasUrl(inputName, 'r', expiresAt),
      resultUrl: await this.sasUrl(resultName, 'cw', expiresAt),
      readResult: async () => {
        const blob = this.container.getBlockBlobClient(resultName);
        try {
          const props = await blob.getProperties();
          if ((props.contentLength ?? 0) > maxResult)
            throw new Error(
              `result of ${props.contentLength} bytes exceeds ${maxResult}`,
            );
          return (await blob.downloadToBuffer()).toString('utf8');
        } catch (e) {
          if ((e as { statusCode?: number }).statusCode === 404)
            return undefined;
          throw e;
        }
      },
      cleanup: async () => {
        for (const name of [inputName, resultName])
          await this.container.deleteBlob(name).catch(() => {});
      },
    };
  }
}
