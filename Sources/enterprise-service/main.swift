import BackstopContracts
import BackstopHTTP

// enterprise-service: the HTTP API for enterprises (job offers, referral answers, placements,
// donations, industry support). See ServiceMain for its settings.
await ServiceMain.run(.enterprise)
