package stays

// ScanReservation and ReservationSelect let the external tests read a
// reservation column by column, the way the tape chart does, as an oracle
// for the packed reader (TestReservationRowsMatchColumns).
var ScanReservation = scanReservation

// ReservationSelect is reservationSelect, exported for the external tests.
const ReservationSelect = reservationSelect
