//! The currencies a store knows without configuration: ISO 4217 code, vtiger's name (as its
//! `vtiger_currencies` list spells it, so files exported from vtiger map by name), symbol and ISO minor units.
//!
//! Decimal places follow ISO 4217. Where vtiger differs, ISO wins and the difference is written here:
//! vtiger shows every currency with 2 decimals (its user preference), so IRR (ISO 0), JPY (0), KRW (0) and
//! the 3-decimal dinars (BHD, JOD, KWD, OMR, TND) round differently here than vtiger displays them.

/// One catalogue entry: `(code, vtiger name, symbol, decimal places)`.
pub type SeedCurrency = (&'static str, &'static str, &'static str, u32);

/// Common currencies, by code.
pub const SEED: &[SeedCurrency] = &[
    ("AED", "United Arab Emirates, Dirham", "د.إ", 2),
    ("ARS", "Argentina, Pesos", "AR$", 2),
    ("AUD", "Australia, Dollars", "A$", 2),
    ("BGN", "Bulgaria, Leva", "лв", 2),
    ("BHD", "Bahrain, Dinar", "BD", 3),
    ("BRL", "Brazil, Reais", "R$", 2),
    ("CAD", "Canada, Dollars", "C$", 2),
    ("CHF", "Switzerland, Francs", "CHF", 2),
    ("CLP", "Chile, Pesos", "CLP$", 0),
    ("CNY", "China, Yuan Renminbi", "CN¥", 2),
    ("COP", "Colombia, Pesos", "COL$", 2),
    ("CZK", "Czech Republic, Koruny", "Kč", 2),
    ("DKK", "Denmark, Kroner", "kr.", 2),
    ("EGP", "Egypt, Pounds", "E£", 2),
    ("EUR", "Euro", "€", 2),
    ("GBP", "Great Britain Pounds", "£", 2),
    ("HKD", "LvHong Kong, Dollars", "HK$", 2),
    ("HUF", "Hungary, Forint", "Ft", 2),
    ("IDR", "Indonesia, Rupiahs", "Rp", 2),
    ("ILS", "Israel, New Shekels", "₪", 2),
    ("INR", "India, Rupees", "₹", 2),
    ("IRR", "Iran, Rials", "﷼", 0),
    ("ISK", "Iceland, Krona", "ISK", 0),
    ("JOD", "Jordan, Dinar", "JOD", 3),
    ("JPY", "Japan, Yen", "¥", 0),
    ("KES", "Kenya, Shilling", "KSh", 2),
    ("KRW", "Korea (South), Won", "₩", 0),
    ("KWD", "Kuwait, Dinar", "KWD", 3),
    ("MAD", "Moroccan, Dirham", "MAD", 2),
    ("MXN", "Mexico, Pesos", "MX$", 2),
    ("MYR", "Malaysia, Ringgits", "RM", 2),
    ("NGN", "Nigeria, Nairas", "₦", 2),
    ("NOK", "Norway, Krone", "NOK", 2),
    ("NZD", "New Zealand, Dollars", "NZ$", 2),
    ("OMR", "Oman, Rials", "OMR", 3),
    ("PHP", "Philippines, Pesos", "₱", 2),
    ("PKR", "Pakistan, Rupees", "₨", 2),
    ("PLN", "Poland, Zlotych", "zł", 2),
    ("QAR", "Qatar, Rials", "QAR", 2),
    ("RON", "Romania, New Lei", "lei", 2),
    ("RUB", "Russia, Rubles", "₽", 2),
    ("SAR", "Saudi Arabia, Riyals", "SAR", 2),
    ("SEK", "Sweden, Kronor", "SEK", 2),
    ("SGD", "Singapore, Dollars", "S$", 2),
    ("THB", "Thailand, Baht", "฿", 2),
    ("TND", "Tunisian, Dinar", "TND", 3),
    ("TRY", "Turkey, Liras", "₺", 2),
    ("TWD", "Taiwan, New Dollars", "NT$", 2),
    ("UAH", "Ukraine, Hryvnia", "₴", 2),
    ("USD", "USA, Dollars", "$", 2),
    ("VND", "Vietnam, Dong", "₫", 0),
    ("ZAR", "South Africa, Rand", "R", 2),
];

/// The catalogue entry of an ISO code (any case).
pub fn seed(code: &str) -> Option<&'static SeedCurrency> {
    SEED.iter().find(|s| s.0.eq_ignore_ascii_case(code.trim()))
}
