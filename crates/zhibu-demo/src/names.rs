//! The words the demo city is made of: departments, sections, people's names, meeting topics and
//! reasons for leave. Every name is fictional; the city is "某市".

use zhibu_core::{Sex, UnitKind};

use crate::rng::Rng;

/// A municipal department or public institution with its own Party committee (机关党委).
#[derive(Debug, Clone, Copy)]
pub(crate) struct DepartmentName {
    pub name: &'static str,
    pub unit_kind: UnitKind,
}

const fn organ(name: &'static str) -> DepartmentName {
    DepartmentName {
        name,
        unit_kind: UnitKind::GovernmentOrgan,
    }
}

const fn institution(name: &'static str) -> DepartmentName {
    DepartmentName {
        name,
        unit_kind: UnitKind::PublicInstitution,
    }
}

pub(crate) const DEPARTMENTS: &[DepartmentName] = &[
    organ("市人民政府办公室"),
    organ("市发展和改革委员会"),
    organ("市教育局"),
    organ("市科学技术局"),
    organ("市工业和信息化局"),
    organ("市民政局"),
    organ("市司法局"),
    organ("市财政局"),
    organ("市人力资源和社会保障局"),
    organ("市自然资源和规划局"),
    organ("市生态环境局"),
    organ("市住房和城乡建设局"),
    organ("市交通运输局"),
    organ("市水利局"),
    organ("市农业农村局"),
    organ("市商务局"),
    organ("市文化广电和旅游局"),
    organ("市卫生健康委员会"),
    organ("市退役军人事务局"),
    organ("市应急管理局"),
    organ("市审计局"),
    organ("市市场监督管理局"),
    organ("市统计局"),
    organ("市医疗保障局"),
    organ("市城市管理局"),
    organ("市林业局"),
    organ("市体育局"),
    organ("市信访局"),
    organ("市机关事务管理局"),
    organ("市政务服务和数据管理局"),
    organ("市人民政府外事办公室"),
    organ("市人民政府国有资产监督管理委员会"),
    organ("市乡村振兴局"),
    organ("市粮食和物资储备局"),
    organ("市地方金融监督管理局"),
    organ("市人民防空办公室"),
    institution("市公共资源交易中心"),
    institution("市住房公积金管理中心"),
    institution("市档案馆"),
    institution("市图书馆"),
    institution("市社会科学院"),
    institution("市广播电视台"),
    institution("市疾病预防控制中心"),
    institution("市博物馆"),
    institution("市气象局"),
    institution("市农业科学研究院"),
];

/// Sections of a government department, each with its own branch.
pub(crate) const ORGAN_SECTIONS: &[&str] = &[
    "政策法规科",
    "组织人事科",
    "财务审计科",
    "发展规划科",
    "综合业务科",
    "行政审批科",
    "监督检查科",
    "宣传教育科",
    "信息中心",
    "执法支队",
    "机关服务中心",
    "安全监管科",
    "项目管理科",
    "统计分析科",
];

/// Departments of a public institution.
pub(crate) const INSTITUTION_SECTIONS: &[&str] = &[
    "综合办公室",
    "业务一部",
    "业务二部",
    "技术保障部",
    "财务资产部",
    "研究室",
    "后勤服务中心",
];

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁",
    "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏",
    "韦", "付", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛", "闫", "段", "雷", "侯",
    "龙", "史", "陶", "黎", "贺", "顾", "毛", "郝", "龚", "邵", "万", "钱", "严", "覃", "武", "戴",
    "莫", "孔", "向", "汤", "欧阳", "司马",
];

/// The commonest surnames are listed twice more, so that names come out in roughly the
/// proportions one meets in a real office.
const FREQUENT_SURNAMES: &[&str] = &["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"];

const MALE_CHARACTERS: &[&str] = &[
    "伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "刚", "平", "辉", "鹏", "华", "飞",
    "鑫", "波", "宇", "浩", "凯", "健", "俊", "帆", "旭", "宁", "龙", "林", "洋", "峰", "建", "国",
    "志", "东", "海", "亮", "成", "博", "阳", "振", "毅", "锋", "彬", "晖", "忠", "武", "庆", "荣",
];

const FEMALE_CHARACTERS: &[&str] = &[
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "燕", "玲", "婷", "雪", "慧", "洁", "琳", "颖",
    "倩", "红", "梅", "莉", "萍", "兰", "英", "秀", "玉", "晶", "佳", "欣", "悦", "蕾", "璐", "萌",
    "瑶", "雯", "薇", "婧", "琪", "芬",
];

const SHARED_CHARACTERS: &[&str] = &[
    "文", "晓", "春", "云", "嘉", "子", "思", "一", "安", "新", "雨", "天", "宏", "永", "立", "金",
    "小", "德",
];

/// A plausible Chinese personal name.
pub(crate) fn person_name(rng: &mut Rng, sex: Sex) -> String {
    let surname = if rng.percent(30) {
        rng.pick(FREQUENT_SURNAMES)
    } else {
        rng.pick(SURNAMES)
    };
    let gendered = match sex {
        Sex::Male => MALE_CHARACTERS,
        Sex::Female => FEMALE_CHARACTERS,
    };
    if rng.percent(25) {
        return format!("{surname}{}", rng.pick(gendered));
    }
    let first = if rng.percent(40) {
        rng.pick(SHARED_CHARACTERS)
    } else {
        rng.pick(gendered)
    };
    let mut second = rng.pick(gendered);
    if second == first {
        second = rng.pick(SHARED_CHARACTERS);
    }
    format!("{surname}{first}{second}")
}

/// Chinese numerals for ordinals up to 99 (第一, 第十二, 第二十).
pub(crate) fn chinese_number(number: u32) -> String {
    const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match number {
        0..=9 => DIGITS[number as usize].to_string(),
        10 => "十".to_string(),
        11..=19 => format!("十{}", DIGITS[(number % 10) as usize]),
        20..=99 if number.is_multiple_of(10) => format!("{}十", DIGITS[(number / 10) as usize]),
        20..=99 => format!(
            "{}十{}",
            DIGITS[(number / 10) as usize],
            DIGITS[(number % 10) as usize]
        ),
        _ => number.to_string(),
    }
}

/// Reasons members give when they ask for leave (请假).
pub(crate) const LEAVE_REASONS: &[&str] = &[
    "出差",
    "病假",
    "外出培训",
    "事假",
    "公务外出",
    "下乡调研",
    "陪护家人就医",
    "参加上级会议",
];

/// What elderly members exempt from organizational life are usually recorded with.
pub(crate) const EXEMPT_LEAVE_REASONS: &[&str] =
    &["年老体弱，居家休养", "因病住院治疗", "行动不便"];

pub(crate) const EXEMPTION_REASON: &str =
    "年老体弱、行动不便，经支部委员会研究，组织生活不作硬性要求";

pub(crate) const PLACES: &[&str] = &[
    "机关三楼会议室",
    "党员活动室",
    "二楼小会议室",
    "党建活动中心",
    "机关五楼会议室",
    "党员之家",
];

pub(crate) const COMMITTEE_TOPICS: &[&str] = &[
    "研究本月主题党日活动安排",
    "研究党员教育管理工作",
    "讨论发展党员工作",
    "研究落实上级党组织工作部署",
    "分析党员思想状况",
    "研究党费收缴情况",
    "研究支部年度工作计划推进情况",
    "研究意识形态工作",
];

pub(crate) const THEME_TOPICS: &[&str] = &[
    "学习习近平新时代中国特色社会主义思想",
    "学习贯彻党的二十大精神",
    "重温入党誓词",
    "到社区开展志愿服务",
    "参观革命传统教育基地",
    "学习《中国共产党纪律处分条例》",
    "开展党纪学习教育",
    "集中交纳党费",
    "观看警示教育片",
    "学习《中国共产党支部工作条例（试行）》",
    "开展“我为群众办实事”实践活动",
];

pub(crate) const LECTURE_TOPICS: &[&str] = &[
    "坚定理想信念，做合格共产党员",
    "牢记初心使命，立足岗位作贡献",
    "严守政治纪律和政治规矩",
    "以党的创新理论武装头脑",
    "弘扬伟大建党精神",
    "锤炼过硬作风，提升服务效能",
];

pub(crate) const GROUP_TOPICS: &[&str] = &[
    "学习上级文件精神",
    "交流学习体会",
    "讨论本组工作",
    "开展批评和自我批评",
    "学习先进典型事迹",
];

pub(crate) const GENERAL_SUBJECTS: &[&str] = &[
    "支部委员会季度工作报告",
    "推荐优秀共产党员人选",
    "党费收缴使用情况报告",
    "开展结对帮扶志愿服务方案",
    "支部年度工作计划",
];

pub(crate) const TALK_TOPICS: &[&str] = &[
    "组织生活会前谈心谈话：交流思想，听取意见建议",
    "谈工作学习情况，听取对支部工作的意见",
    "交流思想认识，互相提醒",
];
