import BackstopContracts
import BackstopHTTP

// oversight-service: response-time review for oversight offices (the API's oversight operations,
// the dashboard, drill-down with a stated reason). See ServiceMain.
await ServiceMain.run(.oversight)
