public enum BusPlaceholder {}
