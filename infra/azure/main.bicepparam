using 'main.bicep'

// Every parameter has a default; these are the ones most deployments change.
param namePrefix = 'ostream'
param nodeCount = 3
param clusterTier = 'Standard'
