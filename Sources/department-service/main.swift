import BackstopContracts
import BackstopHTTP

// department-service: the HTTP API for government — county departments, townships and villages
// (signing for alerts, verification visits, cases, measures, closures). See ServiceMain.
await ServiceMain.run(.department)
