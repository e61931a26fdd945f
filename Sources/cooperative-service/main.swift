import BackstopContracts
import BackstopHTTP

// cooperative-service: the HTTP API for farmers' cooperatives (industry support, jobs, measures).
// See ServiceMain.
await ServiceMain.run(.cooperative)
