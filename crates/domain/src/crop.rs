//! Crops, growing regions and the crop calendar that harvest-aligned loans take their due dates from.
//!
//! The default calendar encodes the main Chinese crops (source: `shared/domain/rural-credit-practice.md`, crop
//! calendar table). A lender can supply its own table; lookups by a crop and region the table lacks are errors,
//! never a silent guess.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A crop or livestock enterprise whose cash cycle a loan can follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Crop {
    /// 冬小麦, sown in autumn, harvested late May–June.
    WinterWheat,
    /// 春小麦, sown March–April, harvested July–August.
    SpringWheat,
    /// 夏玉米, sown in June after wheat, harvested late September–October.
    SummerMaize,
    /// 春玉米, sown late April–May, harvested late September–October.
    SpringMaize,
    /// 大豆.
    Soybean,
    /// 早稻.
    EarlyRice,
    /// 晚稻.
    LateRice,
    /// 一季稻 / 中稻.
    SingleRice,
    /// 油菜.
    Rapeseed,
    /// 棉花.
    Cotton,
    /// 花生.
    Peanut,
}

impl Crop {
    /// Every crop, in a stable order.
    pub const ALL: [Crop; 11] = [
        Crop::WinterWheat,
        Crop::SpringWheat,
        Crop::SummerMaize,
        Crop::SpringMaize,
        Crop::Soybean,
        Crop::EarlyRice,
        Crop::LateRice,
        Crop::SingleRice,
        Crop::Rapeseed,
        Crop::Cotton,
        Crop::Peanut,
    ];

    /// The kebab-case code used on the command line and in files.
    pub fn code(self) -> &'static str {
        match self {
            Crop::WinterWheat => "winter-wheat",
            Crop::SpringWheat => "spring-wheat",
            Crop::SummerMaize => "summer-maize",
            Crop::SpringMaize => "spring-maize",
            Crop::Soybean => "soybean",
            Crop::EarlyRice => "early-rice",
            Crop::LateRice => "late-rice",
            Crop::SingleRice => "single-rice",
            Crop::Rapeseed => "rapeseed",
            Crop::Cotton => "cotton",
            Crop::Peanut => "peanut",
        }
    }

    /// The Chinese name.
    pub fn name_zh(self) -> &'static str {
        match self {
            Crop::WinterWheat => "冬小麦",
            Crop::SpringWheat => "春小麦",
            Crop::SummerMaize => "夏玉米",
            Crop::SpringMaize => "春玉米",
            Crop::Soybean => "大豆",
            Crop::EarlyRice => "早稻",
            Crop::LateRice => "晚稻",
            Crop::SingleRice => "一季稻",
            Crop::Rapeseed => "油菜",
            Crop::Cotton => "棉花",
            Crop::Peanut => "花生",
        }
    }
}

impl fmt::Display for Crop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.code())
    }
}

/// Error for an unknown crop or region code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} '{text}' (known: {known})")]
pub struct UnknownCode {
    /// "crop" or "region".
    pub kind: &'static str,
    /// The rejected text.
    pub text: String,
    /// The accepted codes, comma-separated.
    pub known: String,
}

impl FromStr for Crop {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Crop::ALL.into_iter().find(|c| c.code() == s || c.name_zh() == s).ok_or_else(|| UnknownCode {
            kind: "crop",
            text: s.to_string(),
            known: Crop::ALL.map(Crop::code).join(", "),
        })
    }
}

/// A growing region with its own crop timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Region {
    /// 华北平原 North China plain.
    NorthChinaPlain,
    /// 长江流域 Yangtze basin (middle and lower).
    Yangtze,
    /// 东北 Northeast.
    Northeast,
    /// 西北 Northwest.
    Northwest,
    /// 华南 South China.
    South,
}

impl Region {
    /// Every region, in a stable order.
    pub const ALL: [Region; 5] =
        [Region::NorthChinaPlain, Region::Yangtze, Region::Northeast, Region::Northwest, Region::South];

    /// The kebab-case code.
    pub fn code(self) -> &'static str {
        match self {
            Region::NorthChinaPlain => "north-china-plain",
            Region::Yangtze => "yangtze",
            Region::Northeast => "northeast",
            Region::Northwest => "northwest",
            Region::South => "south",
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.code())
    }
}

impl FromStr for Region {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Region::ALL.into_iter().find(|r| r.code() == s).ok_or_else(|| UnknownCode {
            kind: "region",
            text: s.to_string(),
            known: Region::ALL.map(Region::code).join(", "),
        })
    }
}

/// When a crop is sown and harvested in a region (months 1–12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CropSeason {
    /// The crop.
    pub crop: Crop,
    /// The region.
    pub region: Region,
    /// The month sowing begins.
    pub sow_month: u32,
    /// The month harvest ends; harvest-aligned principal falls due a set number of days after it.
    pub harvest_month: u32,
}

/// Error for a crop the calendar has no season for in a region.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the crop calendar has no season for {crop} in {region}")]
pub struct NoSeason {
    /// The crop asked for.
    pub crop: Crop,
    /// The region asked for.
    pub region: Region,
}

/// A table of crop seasons by crop and region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CropCalendar {
    seasons: Vec<CropSeason>,
}

impl CropCalendar {
    /// A calendar from explicit seasons (months must be 1–12; later duplicates replace earlier ones).
    ///
    /// # Panics
    /// If a month is outside 1–12: calendars are configuration checked by their loader.
    pub fn new(seasons: Vec<CropSeason>) -> CropCalendar {
        let mut table: Vec<CropSeason> = Vec::with_capacity(seasons.len());
        for s in seasons {
            assert!((1..=12).contains(&s.sow_month) && (1..=12).contains(&s.harvest_month), "months are 1..=12");
            table.retain(|t| !(t.crop == s.crop && t.region == s.region));
            table.push(s);
        }
        CropCalendar { seasons: table }
    }

    /// The main Chinese crop calendar (rural-credit-practice.md): harvest month = the month harvest ends.
    pub fn china_default() -> CropCalendar {
        use Crop::*;
        use Region::*;
        let rows: [(Crop, &[Region], u32, u32); 11] = [
            (WinterWheat, &[NorthChinaPlain, Yangtze], 10, 6),
            (SpringWheat, &[Northeast, Northwest], 3, 8),
            (SummerMaize, &[NorthChinaPlain], 6, 10),
            (SpringMaize, &[Northeast, Northwest], 4, 10),
            (Soybean, &[Northeast], 4, 10),
            (EarlyRice, &[South, Yangtze], 3, 7),
            (LateRice, &[South, Yangtze], 7, 11),
            (SingleRice, &[Yangtze, Northeast], 4, 10),
            (Rapeseed, &[Yangtze, NorthChinaPlain], 9, 5),
            (Cotton, &[NorthChinaPlain, Northwest, Yangtze], 4, 10),
            (Peanut, &[NorthChinaPlain, Northeast, South], 4, 9),
        ];
        let seasons = rows
            .iter()
            .flat_map(|(crop, regions, sow, harvest)| {
                regions.iter().map(move |region| CropSeason {
                    crop: *crop,
                    region: *region,
                    sow_month: *sow,
                    harvest_month: *harvest,
                })
            })
            .collect();
        CropCalendar::new(seasons)
    }

    /// The season of a crop in a region.
    pub fn season(&self, crop: Crop, region: Region) -> Result<CropSeason, NoSeason> {
        self.seasons.iter().copied().find(|s| s.crop == crop && s.region == region).ok_or(NoSeason { crop, region })
    }

    /// Every season in the table.
    pub fn seasons(&self) -> &[CropSeason] {
        &self.seasons
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_calendar_lookups() {
        let cal = CropCalendar::china_default();
        assert_eq!(cal.season(Crop::WinterWheat, Region::NorthChinaPlain).map(|s| s.harvest_month), Ok(6));
        assert_eq!(cal.season(Crop::LateRice, Region::South).map(|s| s.harvest_month), Ok(11));
        assert!(cal.season(Crop::EarlyRice, Region::Northeast).is_err());
        assert_eq!("summer-maize".parse::<Crop>(), Ok(Crop::SummerMaize));
        assert_eq!("早稻".parse::<Crop>(), Ok(Crop::EarlyRice));
        assert!("banana".parse::<Crop>().is_err());
        assert!("mars".parse::<Region>().is_err());
    }
}
