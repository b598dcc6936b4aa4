// Orleans.Stream on Azure: an AKS cluster with workload identity, a container registry it pulls from, and the
// storage account the brokers keep their cluster membership (table), controller state and tiered segments (blobs) in.
// The brokers sign in as a user-assigned managed identity, trusted for the Kubernetes service account
// system:serviceaccount:<kubernetesNamespace>:<serviceAccountName>; no storage key exists (shared key access is off).
//
//   az deployment group create -g RG -f infra/azure/main.bicep -p infra/azure/main.bicepparam
// then write infra/kubernetes/overlays/azure/params.env from the output kustomizeParams (infra/README.md).
targetScope = 'resourceGroup'

@description('Location of every resource.')
param location string = resourceGroup().location

@description('Start of every resource name (letters, digits and dashes; dashes are dropped where a name allows none).')
@minLength(3)
@maxLength(11)
param namePrefix string = 'ostream'

@description('Kubernetes namespace of the brokers (infra/kubernetes/base/kustomization.yaml).')
param kubernetesNamespace string = 'orleans-stream'

@description('Kubernetes service account of the brokers (infra/kubernetes/base/serviceaccount.yaml).')
param serviceAccountName string = 'ostream-broker'

@description('Nodes of the AKS cluster: one broker per node, so at least the StatefulSet\'s replicas (3).')
@minValue(3)
param nodeCount int = 3

@description('VM size of the nodes; an "s" size, for Premium SSD (the brokers\' volumes use managed-csi-premium).')
param nodeVmSize string = 'Standard_D4ds_v5'

@description('Availability zones of the nodes; empty where the region has none.')
param availabilityZones string[] = [
  '1'
  '2'
  '3'
]

@description('AKS pricing tier: Standard has the uptime SLA, Free suits a trial.')
@allowed([
  'Free'
  'Standard'
])
param clusterTier string = 'Standard'

@description('Storage redundancy: zone-redundant, like the nodes.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param storageSku string = 'Standard_ZRS'

@description('Tag of the broker image pushed to the registry (ContainerImageTag in src/Orleans.Stream.Silo).')
param imageTag string = '1.0.0'

var suffix = uniqueString(resourceGroup().id)
var compactPrefix = toLower(replace(namePrefix, '-', ''))
var serviceAccountSubject = 'system:serviceaccount:${kubernetesNamespace}:${serviceAccountName}'

// Built-in role definitions.
var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
var acrPull = '7f951dda-4ed3-4680-a7ca-43fe172d538d'

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  name: take('${compactPrefix}${suffix}', 24)
  location: location
  kind: 'StorageV2'
  sku: {
    name: storageSku
  }
  properties: {
    accessTier: 'Hot'
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowCrossTenantReplication: false
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2024-01-01' = {
  parent: storage
  name: 'default'
}

// The silo creates them too; made here so the account is complete before the first broker starts.
resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = [
  for name in [
    'ostream-state'
    'ostream-tiered'
  ]: {
    parent: blobService
    name: name
    properties: {
      publicAccess: 'None'
    }
  }
]

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: take('${compactPrefix}${suffix}', 50)
  location: location
  sku: {
    name: 'Standard'
  }
  properties: {
    adminUserEnabled: false
  }
}

resource cluster 'Microsoft.ContainerService/managedClusters@2024-09-01' = {
  name: '${namePrefix}-aks'
  location: location
  identity: {
    type: 'SystemAssigned'
  }
  sku: {
    name: 'Base'
    tier: clusterTier
  }
  properties: {
    dnsPrefix: '${namePrefix}-${suffix}'
    agentPoolProfiles: [
      {
        name: 'system'
        mode: 'System'
        count: nodeCount
        vmSize: nodeVmSize
        osType: 'Linux'
        osSKU: 'AzureLinux'
        type: 'VirtualMachineScaleSets'
        availabilityZones: empty(availabilityZones) ? null : availabilityZones
      }
    ]
    // Workload identity: the cluster issues service account tokens Entra ID trusts through the federated credential.
    oidcIssuerProfile: {
      enabled: true
    }
    securityProfile: {
      workloadIdentity: {
        enabled: true
      }
    }
    networkProfile: {
      networkPlugin: 'azure'
      networkPluginMode: 'overlay'
      loadBalancerSku: 'standard'
    }
    autoUpgradeProfile: {
      upgradeChannel: 'patch'
      nodeOSUpgradeChannel: 'NodeImage'
    }
  }
}

// The nodes pull the broker image with the kubelet's identity.
resource kubeletAcrPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, cluster.id, acrPull)
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acrPull)
    principalId: cluster.properties.identityProfile.kubeletidentity.objectId
    principalType: 'ServicePrincipal'
  }
}

resource brokerIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${namePrefix}-broker'
  location: location
}

resource brokerFederation 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2023-01-31' = {
  parent: brokerIdentity
  name: 'aks-${kubernetesNamespace}-${serviceAccountName}'
  properties: {
    issuer: cluster.properties.oidcIssuerProfile.issuerURL
    subject: serviceAccountSubject
    audiences: [
      'api://AzureADTokenExchange'
    ]
  }
}

resource brokerStorageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in [
    storageBlobDataContributor
    storageTableDataContributor
  ]: {
    name: guid(storage.id, brokerIdentity.id, role)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
      principalId: brokerIdentity.properties.principalId
      principalType: 'ServicePrincipal'
    }
  }
]

output clusterName string = cluster.name
output registryLoginServer string = registry.properties.loginServer
output storageAccountName string = storage.name
output brokerClientId string = brokerIdentity.properties.clientId
output serviceAccountSubject string = serviceAccountSubject

@description('The contents of infra/kubernetes/overlays/azure/params.env.')
output kustomizeParams string = join(
  [
    'AZURE_CLIENT_ID=${brokerIdentity.properties.clientId}'
    'STORAGE_TABLE_ENDPOINT=${storage.properties.primaryEndpoints.table}'
    'STORAGE_BLOB_ENDPOINT=${storage.properties.primaryEndpoints.blob}'
    'BROKER_IMAGE=${registry.properties.loginServer}/orleans-stream/broker:${imageTag}'
    ''
  ],
  '\n'
)
