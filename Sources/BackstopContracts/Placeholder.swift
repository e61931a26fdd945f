public enum BackstopContractsPlaceholder {}
