import BackstopContracts
import BackstopHTTP

// social-org-service: the HTTP API for social organisations (donation pledges, commitments,
// disbursements, measures). See ServiceMain.
await ServiceMain.run(.socialOrg)
