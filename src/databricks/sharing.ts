/**
 * Delta Sharing, read-only (API 2.1), docs/databricks-api.md §3: shares and recipients on the provider side,
 * providers on the recipient side.
 */
import { apiPath, paginate, type CallOptions, type HttpClient } from './http';
import {
  listProviderSharesResponseSchema,
  listRecipientsResponseSchema,
  listSharesResponseSchema,
  providerInfoSchema,
  recipientInfoSchema,
  sharePermissionsSchema,
  shareInfoSchema,
  type ProviderInfo,
  type ProviderShare,
  type RecipientInfo,
  type SharePermissions,
  type ShareInfo,
} from './schemas';

export interface GetShareOptions extends CallOptions {
  /** `include_shared_data=true`: list the share's objects. */
  includeSharedData?: boolean;
}

export interface ListOptions extends CallOptions {
  /** `max_results` per page. */
  pageSize?: number;
}

export class SharingApi {
  constructor(private readonly http: HttpClient) {}

  async getShare(name: string, options: GetShareOptions = {}): Promise<ShareInfo> {
    const { includeSharedData, ...call } = options;
    return this.http.json(
      {
        method: 'GET',
        path: apiPath`/api/2.1/unity-catalog/shares/${name}`,
        query: { include_shared_data: includeSharedData },
        ...call,
      },
      shareInfoSchema,
    );
  }

  /** All shares of this metastore (provider side), across pages. */
  listShares(options: ListOptions = {}): AsyncGenerator<ShareInfo, void, undefined> {
    const { pageSize, ...call } = options;
    return paginate(
      (pageToken) =>
        this.http.json(
          {
            method: 'GET',
            path: '/api/2.1/unity-catalog/shares',
            query: { max_results: pageSize, page_token: pageToken },
            ...call,
          },
          listSharesResponseSchema,
        ),
      (page) => page.shares,
      '/api/2.1/unity-catalog/shares',
    );
  }

  /** Who may read a share (recipients hold SELECT). */
  async getSharePermissions(name: string, options: CallOptions = {}): Promise<SharePermissions> {
    return this.http.json(
      { method: 'GET', path: apiPath`/api/2.1/unity-catalog/shares/${name}/permissions`, ...options },
      sharePermissionsSchema,
    );
  }

  async getRecipient(name: string, options: CallOptions = {}): Promise<RecipientInfo> {
    return this.http.json(
      { method: 'GET', path: apiPath`/api/2.1/unity-catalog/recipients/${name}`, ...options },
      recipientInfoSchema,
    );
  }

  listRecipients(options: ListOptions = {}): AsyncGenerator<RecipientInfo, void, undefined> {
    const { pageSize, ...call } = options;
    return paginate(
      (pageToken) =>
        this.http.json(
          {
            method: 'GET',
            path: '/api/2.1/unity-catalog/recipients',
            query: { max_results: pageSize, page_token: pageToken },
            ...call,
          },
          listRecipientsResponseSchema,
        ),
      (page) => page.recipients,
      '/api/2.1/unity-catalog/recipients',
    );
  }

  /** Recipient side: the provider a shared catalog comes from. */
  async getProvider(name: string, options: CallOptions = {}): Promise<ProviderInfo> {
    return this.http.json(
      { method: 'GET', path: apiPath`/api/2.1/unity-catalog/providers/${name}`, ...options },
      providerInfoSchema,
    );
  }

  /** Recipient side: the shares a provider offers us (names only), across pages. */
  listProviderShares(name: string, options: ListOptions = {}): AsyncGenerator<ProviderShare, void, undefined> {
    const { pageSize, ...call } = options;
    const path = apiPath`/api/2.1/unity-catalog/providers/${name}/shares`;
    return paginate(
      (pageToken) =>
        this.http.json(
          { method: 'GET', path, query: { max_results: pageSize, page_token: pageToken }, ...call },
          listProviderSharesResponseSchema,
        ),
      (page) => page.shares,
      path,
    );
  }
}
