//! Loading a JDM graph into a [`CompiledPolicy`]: the graph is read, checked and compiled once, so evaluation only
//! runs typed code over slots. Every refusal is a [`LoadError`] naming the file, the node and, where it applies, the
//! rule and the column. Checks: node kinds and table options are in the supported subset; ids are unique; every
//! edge connects existing nodes (and existing switch statements); exactly one input node; every node is reachable
//! from it; the graph is acyclic; every field an expression reads is an input of the schema or an output of a node
//! upstream; every output field has one type and is not an input; cells parse and type-check; and decision tables
//! pass the interval checks of `check`.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use crate::check::{self, Cover};
use crate::compile::{self, Compiled, Scope, Test, TypeError};
use crate::expr::{self, ParseError};
use crate::jdm::{self, HitPolicy};
use crate::schema::{Schema, is_path};
use crate::value::Type;

/// Why a policy was refused, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LoadError {
    /// The file name the caller gave.
    pub file: String,
    /// The node, as `"name" (id)`.
    pub node: Option<String>,
    /// The rule or statement, as `"id" (#n)`, n counted from 1.
    pub rule: Option<String>,
    /// The column or expression key.
    pub column: Option<String>,
    /// What is wrong.
    pub kind: Box<LoadErrorKind>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(node) = &self.node {
            write!(f, ": node {node}")?;
        }
        if let Some(rule) = &self.rule {
            write!(f, ", rule {rule}")?;
        }
        if let Some(column) = &self.column {
            write!(f, ", column {column:?}")?;
        }
        write!(f, ": {}", self.kind)
    }
}

/// What is wrong with a policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadErrorKind {
    /// The file is not a JDM graph.
    #[error("not a JDM graph: {0}")]
    Json(String),
    /// A node kind outside the supported subset.
    #[error(
        "node type `{0}` is not supported (supported: inputNode, outputNode, decisionTableNode, expressionNode, switchNode)"
    )]
    UnsupportedNode(String),
    /// An option outside the supported subset.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// Two nodes share an id.
    #[error("duplicate node id")]
    DuplicateNode,
    /// The graph needs exactly one input node.
    #[error("a graph needs exactly one inputNode, found {0}")]
    InputNodes(usize),
    /// An edge names a node that does not exist.
    #[error("edge `{edge}` refers to unknown node `{node}`")]
    UnknownNode {
        /// The edge id.
        edge: String,
        /// The missing node id.
        node: String,
    },
    /// An edge leaves a switch by a statement that does not exist, or leaves another node by a handle.
    #[error("edge `{edge}` leaves by unknown statement `{handle}`")]
    UnknownHandle {
        /// The edge id.
        edge: String,
        /// The handle.
        handle: String,
    },
    /// An edge enters the input node or leaves an output node.
    #[error("edge `{0}` enters an input node or leaves an output node")]
    EdgeDirection(String),
    /// The node lies on a cycle.
    #[error("the graph has a cycle through {0}")]
    Cycle(String),
    /// The node cannot be reached from the input node.
    #[error("not reachable from the input node")]
    Unreachable,
    /// A cell or expression does not parse.
    #[error("{0}")]
    Parse(#[from] ParseError),
    /// A cell or expression does not type-check, or reads a field that is not in scope.
    #[error("{0}")]
    Type(#[from] TypeError),
    /// An output field name is not a dotted path.
    #[error("output field `{0}` is not a dotted path of identifiers")]
    BadField(String),
    /// A node writes an input field.
    #[error("writes `{0}`, which is an input field")]
    WritesInput(String),
    /// Two writers give a field different types.
    #[error("field `{field}` is a {first} elsewhere but a {second} here")]
    FieldType {
        /// The field.
        field: String,
        /// The type given first.
        first: Type,
        /// The conflicting type.
        second: Type,
    },
    /// A condition is not boolean.
    #[error("a condition must be a bool, got {0}")]
    NotCondition(Type),
    /// A cell accepts no value.
    #[error("the interval {0} is empty: the rule can never match")]
    EmptyInterval(String),
    /// An earlier rule of a `first` table covers this one.
    #[error("unreachable: rule {0} before it covers every value it accepts")]
    Shadowed(String),
    /// Two rules of a `unique` table accept a common value.
    #[error("overlaps rule {other} where column {column:?} is in {interval}; a unique table allows one match")]
    Overlap {
        /// The other rule.
        other: String,
        /// The column of the shared interval.
        column: String,
        /// The shared interval.
        interval: String,
    },
    /// No rule covers a range of a numeric column.
    #[error("no rule covers column {column:?} in {interval}{context}")]
    Gap {
        /// The numeric column.
        column: String,
        /// The uncovered range.
        interval: String,
        /// The other cells' values, if the gap is within a group of rules.
        context: String,
    },
    /// The cells of the other columns combine into more groups than the gap check looks at.
    #[error(
        "the other columns' values combine into more than {MAX_GAP_GROUPS} groups, too many to check for gaps; \
         split the table"
    )]
    GapGroups,
}

/// A policy checked and compiled against a schema, ready to evaluate. Cloning it is cheap (one shared program).
#[derive(Debug, Clone)]
pub struct CompiledPolicy {
    pub(crate) program: Arc<Program>,
}

/// The compiled graph, shared by a policy and the decisions it makes (which read names from it).
#[derive(Debug)]
pub(crate) struct Program {
    pub(crate) schema: Arc<Schema>,
    pub(crate) file: Arc<str>,
    pub(crate) slot_names: Vec<Arc<str>>,
    pub(crate) nodes: Vec<CNode>,
    pub(crate) statements: usize,
    pub(crate) output_slots: Vec<usize>,
    /// Values a full trace holds at most: every node's reads and writes.
    pub(crate) trace_values: usize,
}

#[derive(Debug, Clone)]
pub(crate) struct CNode {
    pub(crate) id: Arc<str>,
    pub(crate) name: Arc<str>,
    pub(crate) kind: CKind,
    pub(crate) kind_name: &'static str,
    /// (source node position, opened statement if the source is a switch).
    pub(crate) incoming: Vec<(usize, Option<usize>)>,
    pub(crate) reads: Vec<usize>,
    pub(crate) writes: Vec<usize>,
}

#[derive(Debug, Clone)]
pub(crate) enum CKind {
    Input,
    Output,
    Table(CTable),
    Expression(Vec<(usize, Compiled)>),
    Switch(CSwitch),
}

#[derive(Debug, Clone)]
pub(crate) struct CTable {
    pub(crate) collect: bool,
    pub(crate) columns: Vec<Option<Compiled>>,
    pub(crate) outputs: Vec<usize>,
    pub(crate) rules: Vec<CRule>,
}

#[derive(Debug, Clone)]
pub(crate) struct CRule {
    pub(crate) id: Arc<str>,
    pub(crate) tests: Vec<Test>,
    pub(crate) outputs: Vec<Compiled>,
}

#[derive(Debug, Clone)]
pub(crate) struct CSwitch {
    pub(crate) collect: bool,
    /// (id, condition or always, is default, global statement index).
    pub(crate) statements: Vec<(Arc<str>, Option<Compiled>, bool, usize)>,
}

impl CompiledPolicy {
    /// The schema inputs must follow.
    pub fn schema(&self) -> &Arc<Schema> {
        &self.program.schema
    }

    /// The file name the policy was loaded from.
    pub fn file(&self) -> &str {
        &self.program.file
    }

    /// Every field a node may write, in the order the nodes run.
    pub fn output_fields(&self) -> impl Iterator<Item = &str> {
        self.program.output_slots.iter().map(|slot| &*self.program.slot_names[*slot])
    }

    /// The position of an output field among [`CompiledPolicy::output_fields`], for [`crate::Decision::output`]:
    /// callers reading many decisions look a field up once.
    pub fn output_position(&self, field: &str) -> Option<usize> {
        self.output_fields().position(|name| name == field)
    }
}

struct Where<'a> {
    file: &'a str,
    node: Option<String>,
}

impl Where<'_> {
    fn at(&self, rule: Option<String>, column: Option<&str>, kind: impl Into<LoadErrorKind>) -> LoadError {
        LoadError {
            file: self.file.to_owned(),
            node: self.node.clone(),
            rule,
            column: column.map(str::to_owned),
            kind: Box::new(kind.into()),
        }
    }

    fn node(&self, kind: impl Into<LoadErrorKind>) -> LoadError {
        self.at(None, None, kind)
    }
}

fn node_label(node: &jdm::Node) -> String {
    format!("{:?} ({})", node.name, node.id)
}

fn rule_label(id: &str, index: usize) -> String {
    format!("{id:?} (#{})", index + 1)
}

/// Loads, checks and compiles a JDM graph. `file` names the source in error messages; the caller reads the file.
pub fn load(file: &str, json: &str, schema: &Arc<Schema>) -> Result<CompiledPolicy, LoadError> {
    let top = Where { file, node: None };
    let graph: jdm::Graph = serde_json::from_str(json).map_err(|e| top.node(LoadErrorKind::Json(e.to_string())))?;
    let order = check_graph(file, &graph)?;
    Compiler::new(file, schema).run(&graph, &order)
}

/// Checks the graph's shape (node kinds, ids, the input node, edges, cycles, reachability) and returns the nodes'
/// file positions in a deterministic topological order.
fn check_graph(file: &str, graph: &jdm::Graph) -> Result<Vec<usize>, LoadError> {
    let at = |node: &jdm::Node| Where { file, node: Some(node_label(node)) };
    let mut index = HashMap::with_capacity(graph.nodes.len());
    for (position, node) in graph.nodes.iter().enumerate() {
        if index.insert(node.id.as_str(), position).is_some() {
            return Err(at(node).node(LoadErrorKind::DuplicateNode));
        }
    }
    const KINDS: [&str; 5] = ["inputNode", "outputNode", "decisionTableNode", "expressionNode", "switchNode"];
    if let Some(node) = graph.nodes.iter().find(|node| !KINDS.contains(&node.kind.as_str())) {
        return Err(at(node).node(LoadErrorKind::UnsupportedNode(node.kind.clone())));
    }
    let inputs: Vec<usize> = (0..graph.nodes.len()).filter(|i| graph.nodes[*i].kind == "inputNode").collect();
    if inputs.len() != 1 {
        return Err(Where { file, node: None }.node(LoadErrorKind::InputNodes(inputs.len())));
    }
    let mut successors = vec![Vec::new(); graph.nodes.len()];
    let mut indegree = vec![0usize; graph.nodes.len()];
    for edge in &graph.edges {
        let find = |id: &str| {
            index.get(id).copied().ok_or_else(|| {
                Where { file, node: None }
                    .node(LoadErrorKind::UnknownNode { edge: edge.id.clone(), node: id.to_owned() })
            })
        };
        let (source, target) = (find(&edge.source_id)?, find(&edge.target_id)?);
        if graph.nodes[target].kind == "inputNode" || graph.nodes[source].kind == "outputNode" {
            return Err(at(&graph.nodes[source]).node(LoadErrorKind::EdgeDirection(edge.id.clone())));
        }
        successors[source].push(target);
        indegree[target] += 1;
    }
    // Kahn's algorithm, always taking the ready node that comes first in the file: a deterministic order.
    let mut order = Vec::with_capacity(graph.nodes.len());
    let mut ready: std::collections::BTreeSet<usize> = (0..graph.nodes.len()).filter(|i| indegree[*i] == 0).collect();
    while let Some(next) = ready.pop_first() {
        order.push(next);
        for target in &successors[next] {
            indegree[*target] -= 1;
            if indegree[*target] == 0 {
                ready.insert(*target);
            }
        }
    }
    if order.len() < graph.nodes.len() {
        let on_cycle: Vec<String> =
            (0..graph.nodes.len()).filter(|i| indegree[*i] > 0).map(|i| node_label(&graph.nodes[i])).collect();
        let first = on_cycle.first().cloned();
        return Err(LoadError {
            file: file.to_owned(),
            node: first,
            rule: None,
            column: None,
            kind: Box::new(LoadErrorKind::Cycle(on_cycle.join(", "))),
        });
    }
    // Reachability from the input node.
    let mut reached = vec![false; graph.nodes.len()];
    reached[inputs[0]] = true;
    for &position in &order {
        if reached[position] {
            for target in &successors[position] {
                reached[*target] = true;
            }
        }
    }
    if let Some(position) = (0..graph.nodes.len()).find(|i| !reached[*i]) {
        return Err(at(&graph.nodes[position]).node(LoadErrorKind::Unreachable));
    }
    Ok(order)
}

struct Compiler<'a> {
    file: &'a str,
    schema: &'a Arc<Schema>,
    slot_names: Vec<Arc<str>>,
    slot_types: Vec<Option<Type>>,
    slot_index: HashMap<String, usize>,
    /// For each non-input slot, the compiled nodes (positions in `nodes`) that write it.
    writers: HashMap<usize, Vec<usize>>,
    output_slots: Vec<usize>,
}

/// The fields in scope for one node: the schema, the outputs of its ancestors and, in an expression node, the keys
/// it has set so far.
struct NodeScope<'c, 'a> {
    compiler: &'c Compiler<'a>,
    ancestors: &'c [bool],
    local: &'c HashMap<String, usize>,
}

impl Scope for NodeScope<'_, '_> {
    fn resolve(&self, path: &str) -> Option<(usize, Option<Type>)> {
        let own = path.strip_prefix("$.");
        if let Some(slot) = self.local.get(own.unwrap_or(path)) {
            return Some((*slot, self.compiler.slot_types[*slot]));
        }
        if own.is_some() {
            return None;
        }
        let slot = *self.compiler.slot_index.get(path)?;
        if slot < self.compiler.schema.len() {
            return Some((slot, self.compiler.slot_types[slot]));
        }
        let upstream = self.compiler.writers.get(&slot)?.iter().any(|writer| self.ancestors[*writer]);
        upstream.then(|| (slot, self.compiler.slot_types[slot]))
    }
}

impl<'a> Compiler<'a> {
    fn new(file: &'a str, schema: &'a Arc<Schema>) -> Self {
        let slot_names = schema.fields().iter().map(|def| Arc::from(def.field.as_str())).collect();
        let slot_types = schema.fields().iter().map(|def| Some(def.ty)).collect();
        let slot_index = schema.fields().iter().enumerate().map(|(slot, def)| (def.field.clone(), slot)).collect();
        Self { file, schema, slot_names, slot_types, slot_index, writers: HashMap::new(), output_slots: Vec::new() }
    }

    fn run(mut self, graph: &jdm::Graph, order: &[usize]) -> Result<CompiledPolicy, LoadError> {
        // Position of each file node in the compiled (topological) order.
        let mut position = vec![0usize; graph.nodes.len()];
        for (compiled, &file_index) in order.iter().enumerate() {
            position[file_index] = compiled;
        }
        let id_to_file: HashMap<&str, usize> =
            graph.nodes.iter().enumerate().map(|(i, node)| (node.id.as_str(), i)).collect();
        let mut nodes: Vec<CNode> = Vec::with_capacity(order.len());
        let mut ancestors: Vec<Vec<bool>> = Vec::with_capacity(order.len());
        let mut statement_index: HashMap<(usize, String), usize> = HashMap::new();
        let mut statements = 0usize;
        for (compiled_index, &file_index) in order.iter().enumerate() {
            let node = &graph.nodes[file_index];
            let at = Where { file: self.file, node: Some(node_label(node)) };
            let mut incoming = Vec::new();
            let mut mine = vec![false; order.len()];
            for edge in graph.edges.iter().filter(|edge| edge.target_id == node.id) {
                let source_file = id_to_file[edge.source_id.as_str()];
                let source = position[source_file];
                let handle = match edge.source_handle.as_deref().filter(|handle| !handle.is_empty()) {
                    None => None,
                    Some(handle) => match statement_index.get(&(source, handle.to_owned())) {
                        Some(global) => Some(*global),
                        None => {
                            let source_at =
                                Where { file: self.file, node: Some(node_label(&graph.nodes[source_file])) };
                            return Err(source_at.node(LoadErrorKind::UnknownHandle {
                                edge: edge.id.clone(),
                                handle: handle.to_owned(),
                            }));
                        }
                    },
                };
                incoming.push((source, handle));
                mine[source] = true;
                for (ancestor, flag) in ancestors[source].iter().enumerate() {
                    mine[ancestor] |= *flag;
                }
            }
            let kind = match node.kind.as_str() {
                "inputNode" => CKind::Input,
                "outputNode" => CKind::Output,
                "decisionTableNode" => {
                    let table: jdm::DecisionTable = serde_json::from_value(node.content.clone())
                        .map_err(|e| at.node(LoadErrorKind::Json(e.to_string())))?;
                    CKind::Table(self.table(&at, &table, &mine, compiled_index)?)
                }
                "expressionNode" => {
                    let content: jdm::ExpressionContent = serde_json::from_value(node.content.clone())
                        .map_err(|e| at.node(LoadErrorKind::Json(e.to_string())))?;
                    CKind::Expression(self.expressions(&at, &content, &mine, compiled_index)?)
                }
                "switchNode" => {
                    let content: jdm::SwitchContent = serde_json::from_value(node.content.clone())
                        .map_err(|e| at.node(LoadErrorKind::Json(e.to_string())))?;
                    let switch = self.switch(&at, &content, &mine, &mut statements)?;
                    for (id, _, _, global) in &switch.statements {
                        statement_index.insert((compiled_index, id.to_string()), *global);
                    }
                    CKind::Switch(switch)
                }
                other => return Err(at.node(LoadErrorKind::UnsupportedNode(other.to_owned()))),
            };
            let (reads, writes) = slots_of(&kind);
            let kind_name = match kind {
                CKind::Input => "inputNode",
                CKind::Output => "outputNode",
                CKind::Table(_) => "decisionTableNode",
                CKind::Expression(_) => "expressionNode",
                CKind::Switch(_) => "switchNode",
            };
            nodes.push(CNode {
                id: Arc::from(node.id.as_str()),
                name: Arc::from(node.name.as_str()),
                kind,
                kind_name,
                incoming,
                reads,
                writes,
            });
            ancestors.push(mine);
        }
        let trace_values = nodes.iter().map(|node| node.reads.len() + node.writes.len()).sum();
        let program = Program {
            schema: Arc::clone(self.schema),
            file: Arc::from(self.file),
            slot_names: self.slot_names,
            nodes,
            statements,
            output_slots: self.output_slots,
            trace_values,
        };
        Ok(CompiledPolicy { program: Arc::new(program) })
    }

    fn scope<'c>(&'c self, ancestors: &'c [bool], local: &'c HashMap<String, usize>) -> NodeScope<'c, 'a> {
        NodeScope { compiler: self, ancestors, local }
    }

    /// The slot an output field is written to, typing it; `ty` is `None` for a value only ever null.
    fn output_slot(&mut self, field: &str, ty: Option<Type>, node: usize) -> Result<usize, LoadErrorKind> {
        if !is_path(field) {
            return Err(LoadErrorKind::BadField(field.to_owned()));
        }
        let slot = match self.slot_index.get(field) {
            Some(slot) if *slot < self.schema.len() => return Err(LoadErrorKind::WritesInput(field.to_owned())),
            Some(slot) => *slot,
            None => {
                let slot = self.slot_names.len();
                self.slot_names.push(Arc::from(field));
                self.slot_types.push(None);
                self.slot_index.insert(field.to_owned(), slot);
                self.output_slots.push(slot);
                slot
            }
        };
        match (self.slot_types[slot], ty) {
            (Some(first), Some(second)) if first != second => {
                return Err(LoadErrorKind::FieldType { field: field.to_owned(), first, second });
            }
            (None, Some(_)) => self.slot_types[slot] = ty,
            _ => {}
        }
        let writers = self.writers.entry(slot).or_default();
        if !writers.contains(&node) {
            writers.push(node);
        }
        Ok(slot)
    }

    fn expressions(
        &mut self,
        at: &Where<'_>,
        content: &jdm::ExpressionContent,
        ancestors: &[bool],
        node: usize,
    ) -> Result<Vec<(usize, Compiled)>, LoadError> {
        node_options(
            at,
            content.output_path.as_deref(),
            content.input_field.as_deref(),
            content.execution_mode.as_deref(),
        )?;
        let mut local = HashMap::new();
        let mut out = Vec::with_capacity(content.expressions.len());
        for (index, assignment) in content.expressions.iter().enumerate() {
            let fail =
                |kind: LoadErrorKind| at.at(Some(rule_label(&assignment.id, index)), Some(&assignment.key), kind);
            let ast = expr::parse_expression(&assignment.value).map_err(|e| fail(e.into()))?;
            let (compiled, ty) =
                compile::compile(&ast, &self.scope(ancestors, &local), None).map_err(|e| fail(e.into()))?;
            let slot = self.output_slot(&assignment.key, ty, node).map_err(fail)?;
            local.insert(assignment.key.clone(), slot);
            out.push((slot, compiled));
        }
        Ok(out)
    }

    fn switch(
        &mut self,
        at: &Where<'_>,
        content: &jdm::SwitchContent,
        ancestors: &[bool],
        statements: &mut usize,
    ) -> Result<CSwitch, LoadError> {
        let collect = match content.hit_policy {
            HitPolicy::First => false,
            HitPolicy::Collect => true,
            HitPolicy::Unique => {
                return Err(at.node(LoadErrorKind::Unsupported("a switch's hitPolicy is first or collect".into())));
            }
        };
        let local = HashMap::new();
        let mut out = Vec::with_capacity(content.statements.len());
        for (index, statement) in content.statements.iter().enumerate() {
            let fail = |kind: LoadErrorKind| at.at(Some(rule_label(&statement.id, index)), None, kind);
            let condition = if statement.condition.trim().is_empty() || statement.is_default {
                None
            } else {
                let ast = expr::parse_expression(&statement.condition).map_err(|e| fail(e.into()))?;
                let (compiled, ty) =
                    compile::compile(&ast, &self.scope(ancestors, &local), None).map_err(|e| fail(e.into()))?;
                if let Some(ty) = ty.filter(|ty| *ty != Type::Bool) {
                    return Err(fail(LoadErrorKind::NotCondition(ty)));
                }
                Some(compiled)
            };
            out.push((Arc::from(statement.id.as_str()), condition, statement.is_default, *statements));
            *statements += 1;
        }
        Ok(CSwitch { collect, statements: out })
    }

    fn table(
        &mut self,
        at: &Where<'_>,
        table: &jdm::DecisionTable,
        ancestors: &[bool],
        node: usize,
    ) -> Result<CTable, LoadError> {
        node_options(at, table.output_path.as_deref(), table.input_field.as_deref(), table.execution_mode.as_deref())?;
        let collect = table.hit_policy == HitPolicy::Collect;
        let local = HashMap::new();
        // Input columns: the expression under test and its type.
        let mut columns = Vec::with_capacity(table.inputs.len());
        let mut column_types = Vec::with_capacity(table.inputs.len());
        for column in &table.inputs {
            let fail = |kind: LoadErrorKind| at.at(None, Some(&column.name), kind);
            match column.field.as_deref().map(str::trim).filter(|field| !field.is_empty()) {
                None => {
                    columns.push(None);
                    column_types.push(None);
                }
                Some(field) => {
                    let ast = expr::parse_expression(field).map_err(|e| fail(e.into()))?;
                    let (compiled, ty) =
                        compile::compile(&ast, &self.scope(ancestors, &local), None).map_err(|e| fail(e.into()))?;
                    columns.push(Some(compiled));
                    column_types.push(Some(ty));
                }
            }
        }
        let mut rules = Vec::with_capacity(table.rules.len());
        let mut output_types: Vec<Option<Type>> = vec![None; table.outputs.len()];
        for (index, raw) in table.rules.iter().enumerate() {
            let id = raw.get("_id").and_then(|id| id.as_str()).map_or_else(|| format!("#{}", index + 1), str::to_owned);
            let rule = Some(rule_label(&id, index));
            let mut tests = Vec::with_capacity(table.inputs.len());
            for (column, column_type) in table.inputs.iter().zip(&column_types) {
                let fail = |kind: LoadErrorKind| at.at(rule.clone(), Some(&column.name), kind);
                let text = cell(raw, &column.id).map_err(fail)?;
                let scope = self.scope(ancestors, &local);
                let test = if text.is_empty() {
                    Test::Any
                } else if column_type.is_none() || expr::mentions_column(text) {
                    let ast = expr::parse_expression(text).map_err(|e| fail(e.into()))?;
                    let (compiled, ty) = compile::compile(&ast, &scope, *column_type).map_err(|e| fail(e.into()))?;
                    if let Some(ty) = ty.filter(|ty| *ty != Type::Bool) {
                        return Err(fail(LoadErrorKind::NotCondition(ty)));
                    }
                    Test::Condition(compiled)
                } else {
                    let items = expr::parse_unary_test(text).map_err(|e| fail(e.into()))?;
                    compile::compile_test(&items, &scope, column_type.flatten()).map_err(|e| fail(e.into()))?
                };
                tests.push(test);
            }
            let mut outputs = Vec::with_capacity(table.outputs.len());
            for (position, column) in table.outputs.iter().enumerate() {
                let fail = |kind: LoadErrorKind| at.at(rule.clone(), Some(&column.name), kind);
                let text = cell(raw, &column.id).map_err(fail)?;
                let (compiled, ty) = if text.is_empty() {
                    (Compiled::Const(crate::value::Value::Null), None)
                } else {
                    let ast = expr::parse_expression(text).map_err(|e| fail(e.into()))?;
                    compile::compile(&ast, &self.scope(ancestors, &local), None).map_err(|e| fail(e.into()))?
                };
                match (output_types[position], ty) {
                    (Some(first), Some(second)) if first != second => {
                        let field = column.field.clone().unwrap_or_default();
                        return Err(fail(LoadErrorKind::FieldType { field, first, second }));
                    }
                    (None, Some(_)) => output_types[position] = ty,
                    _ => {}
                }
                outputs.push(compiled);
            }
            rules.push(CRule { id: Arc::from(id.as_str()), tests, outputs });
        }
        let mut output_slots = Vec::with_capacity(table.outputs.len());
        for (column, ty) in table.outputs.iter().zip(&output_types) {
            let fail = |kind: LoadErrorKind| at.at(None, Some(&column.name), kind);
            let field = column.field.as_deref().map(str::trim).unwrap_or_default();
            let ty = if collect { Some(Type::List) } else { *ty };
            output_slots.push(self.output_slot(field, ty, node).map_err(fail)?);
        }
        let compiled = CTable { collect, columns, outputs: output_slots, rules };
        check_intervals(at, table, &compiled)?;
        Ok(compiled)
    }
}

/// Refuses the node options that change what a node reads or writes: `outputPath`, `inputField` and
/// `executionMode: "loop"`. (`passThrough` is accepted either way: every node sees the fields upstream.)
fn node_options(
    at: &Where<'_>,
    output_path: Option<&str>,
    input_field: Option<&str>,
    execution_mode: Option<&str>,
) -> Result<(), LoadError> {
    if output_path.is_some_and(|path| !path.is_empty()) {
        return Err(at.node(LoadErrorKind::Unsupported("outputPath (write outputs to their own fields)".into())));
    }
    if input_field.is_some_and(|path| !path.is_empty()) {
        return Err(at.node(LoadErrorKind::Unsupported("inputField (evaluation on a nested field or list)".into())));
    }
    if execution_mode.is_some_and(|mode| mode != "single") {
        return Err(at.node(LoadErrorKind::Unsupported("executionMode other than \"single\" (loops)".into())));
    }
    Ok(())
}

fn cell<'r>(rule: &'r serde_json::Map<String, serde_json::Value>, column: &str) -> Result<&'r str, LoadErrorKind> {
    match rule.get(column) {
        None | Some(serde_json::Value::Null) => Ok(""),
        Some(serde_json::Value::String(text)) => Ok(text.trim()),
        Some(other) => Err(LoadErrorKind::Unsupported(format!("a cell must be text, got {other}"))),
    }
}

fn slots_of(kind: &CKind) -> (Vec<usize>, Vec<usize>) {
    let mut reads = Vec::new();
    let mut writes = Vec::new();
    match kind {
        CKind::Input | CKind::Output => {}
        CKind::Table(table) => {
            for column in table.columns.iter().flatten() {
                collect_slots(column, &mut reads);
            }
            for rule in &table.rules {
                for test in &rule.tests {
                    match test {
                        Test::Any => {}
                        Test::Condition(condition) => collect_slots(condition, &mut reads),
                        Test::Items(items) => {
                            for item in items {
                                match item {
                                    compile::Item::Compare(_, value) | compile::Item::Equals(value) => {
                                        collect_slots(value, &mut reads);
                                    }
                                    compile::Item::Range { low, high, .. } => {
                                        collect_slots(low, &mut reads);
                                        collect_slots(high, &mut reads);
                                    }
                                }
                            }
                        }
                    }
                }
                for output in &rule.outputs {
                    collect_slots(output, &mut reads);
                }
            }
            writes.extend(&table.outputs);
        }
        CKind::Expression(assignments) => {
            for (slot, value) in assignments {
                collect_slots(value, &mut reads);
                writes.push(*slot);
            }
            // A key read after it is set in the same node is not an input of the node.
            reads.retain(|slot| !writes.contains(slot));
        }
        CKind::Switch(switch) => {
            for (_, condition, _, _) in &switch.statements {
                if let Some(condition) = condition {
                    collect_slots(condition, &mut reads);
                }
            }
        }
    }
    reads.sort_unstable();
    reads.dedup();
    writes.dedup();
    (reads, writes)
}

fn collect_slots(compiled: &Compiled, out: &mut Vec<usize>) {
    match compiled {
        Compiled::Const(_) | Compiled::Column => {}
        Compiled::Slot(slot) => out.push(*slot),
        Compiled::Neg(inner)
        | Compiled::Not(inner)
        | Compiled::Abs(inner)
        | Compiled::FloorCeil(_, inner)
        | Compiled::Round(inner, _) => collect_slots(inner, out),
        Compiled::Arith(_, a, b)
        | Compiled::Order(_, a, b)
        | Compiled::Equal(_, a, b)
        | Compiled::And(a, b)
        | Compiled::Or(a, b)
        | Compiled::MinMax(_, a, b) => {
            collect_slots(a, out);
            collect_slots(b, out);
        }
        Compiled::If(a, b, c) => {
            collect_slots(a, out);
            collect_slots(b, out);
            collect_slots(c, out);
        }
    }
}

/// Most groups of rules the gap check of one table looks at: the combinations of single values the cells of the
/// columns other than the numeric one name (a table of segments and products has a few dozen).
pub const MAX_GAP_GROUPS: usize = 4_096;

/// Empty intervals, unreachable rules (`first`, `unique`), overlaps (`unique`) and gaps (`first`, `unique`, when
/// exactly one numeric column is constrained: rules are grouped by their other cells and each group must cover
/// every number, rules whose other cells are empty belonging to every group).
fn check_intervals(at: &Where<'_>, table: &jdm::DecisionTable, compiled: &CTable) -> Result<(), LoadError> {
    let rule_name = |index: usize| rule_label(&compiled.rules[index].id, index);
    let covers: Vec<Vec<Option<Cover>>> =
        compiled.rules.iter().map(|rule| rule.tests.iter().map(check::cover).collect()).collect();
    for (index, rule) in covers.iter().enumerate() {
        for (column, cover) in rule.iter().enumerate() {
            if let Some(cover) = cover
                && let Some(empty) = cover.intervals.iter().find(|interval| interval.is_empty())
            {
                let name = &table.inputs[column].name;
                return Err(at.at(Some(rule_name(index)), Some(name), LoadErrorKind::EmptyInterval(empty.to_string())));
            }
        }
    }
    if compiled.collect {
        return Ok(());
    }
    let columns = table.inputs.len();
    let texts: Vec<Vec<&str>> = table
        .rules
        .iter()
        .map(|raw| table.inputs.iter().map(|column| cell(raw, &column.id).unwrap_or_default()).collect())
        .collect();
    // Unreachable rules: an earlier rule accepts everything this one does, column by column.
    for later in 0..covers.len() {
        for earlier in 0..later {
            let covered = (0..columns).all(|column| {
                texts[earlier][column].is_empty()
                    || texts[earlier][column] == texts[later][column]
                    || matches!(
                        (&covers[earlier][column], &covers[later][column]),
                        (Some(outer), Some(inner)) if check::covers(outer, inner)
                    )
            });
            if covered {
                return Err(at.at(Some(rule_name(later)), None, LoadErrorKind::Shadowed(rule_name(earlier))));
            }
        }
    }
    let atoms: Vec<Vec<Vec<String>>> = compiled
        .rules
        .iter()
        .zip(&texts)
        .map(|(rule, text)| rule.tests.iter().zip(text).map(|(test, text)| atoms(test, text)).collect())
        .collect();
    if table.hit_policy == HitPolicy::Unique {
        for later in 0..covers.len() {
            for earlier in 0..later {
                let mut shared = None;
                let overlap = (0..columns).all(|column| match (&covers[earlier][column], &covers[later][column]) {
                    (Some(a), Some(b)) => match check::overlaps(a, b) {
                        Some(values) => {
                            if !texts[earlier][column].is_empty() || !texts[later][column].is_empty() {
                                shared.get_or_insert((column, values));
                            }
                            true
                        }
                        None => false,
                    },
                    _ => {
                        let (a, b) = (&atoms[earlier][column], &atoms[later][column]);
                        a.is_empty() || b.is_empty() || a.iter().any(|atom| b.contains(atom))
                    }
                });
                if overlap {
                    let (column, values) = shared.unwrap_or_else(|| (0, "every value".to_owned()));
                    return Err(at.at(
                        Some(rule_name(later)),
                        None,
                        LoadErrorKind::Overlap {
                            other: rule_name(earlier),
                            column: table.inputs[column].name.clone(),
                            interval: values,
                        },
                    ));
                }
            }
        }
    }
    // Gaps along the one constrained numeric column.
    let numeric: Vec<usize> = (0..columns)
        .filter(|column| {
            covers.iter().all(|rule| rule[*column].is_some()) && texts.iter().any(|rule| !rule[*column].is_empty())
        })
        .collect();
    let [column] = numeric[..] else { return Ok(()) };
    // Groups: every combination of single values the other columns' cells name ("" where a cell is empty).
    // Their number is a product over the columns: bounded, so that a small file cannot make the check run for hours.
    let mut groups: Vec<Vec<String>> = Vec::new();
    let mut seen: HashSet<Vec<String>> = HashSet::new();
    for (index, rule) in atoms.iter().enumerate() {
        let mut keys: Vec<Vec<String>> = vec![Vec::new()];
        for (c, cell_atoms) in rule.iter().enumerate() {
            let choices: Vec<String> =
                if c == column || cell_atoms.is_empty() { vec![String::new()] } else { cell_atoms.clone() };
            if keys.len().saturating_mul(choices.len()) > MAX_GAP_GROUPS {
                return Err(at.at(Some(rule_name(index)), None, LoadErrorKind::GapGroups));
            }
            keys = keys
                .into_iter()
                .flat_map(|key| {
                    choices.iter().map(move |choice| {
                        let mut key = key.clone();
                        key.push(choice.clone());
                        key
                    })
                })
                .collect();
        }
        for key in keys {
            if seen.insert(key.clone()) {
                groups.push(key);
            }
        }
        if groups.len() > MAX_GAP_GROUPS {
            return Err(at.at(Some(rule_name(index)), None, LoadErrorKind::GapGroups));
        }
    }
    for key in &groups {
        let mut intervals = Vec::new();
        for rule in 0..atoms.len() {
            let applies =
                (0..columns).all(|c| c == column || atoms[rule][c].is_empty() || atoms[rule][c].contains(&key[c]));
            if applies && let Some(cover) = &covers[rule][column] {
                intervals.extend(cover.intervals.iter().copied());
            }
        }
        if let Some(gap) = check::first_gap(&intervals) {
            let named = |c: usize| atoms.iter().any(|rule| !rule[c].is_empty());
            let context: Vec<String> = (0..columns)
                .filter(|c| *c != column && named(*c))
                .map(|c| match key[c].as_str() {
                    "" => format!("{:?} is another value", table.inputs[c].name),
                    value => format!("{:?} is {value}", table.inputs[c].name),
                })
                .collect();
            let context = if context.is_empty() { String::new() } else { format!(" when {}", context.join(" and ")) };
            return Err(at.node(LoadErrorKind::Gap {
                column: table.inputs[column].name.clone(),
                interval: gap.to_string(),
                context,
            }));
        }
    }
    Ok(())
}

/// The single values a cell names, for grouping rules: nothing for an empty cell (any value), each constant of a
/// list of equalities, or the cell's text for anything else.
fn atoms(test: &Test, text: &str) -> Vec<String> {
    match test {
        Test::Any => Vec::new(),
        Test::Items(items) => {
            let constants: Option<Vec<String>> = items
                .iter()
                .map(|item| match item {
                    compile::Item::Equals(value) | compile::Item::Compare(crate::expr::BinOp::Eq, value) => {
                        value.constant().map(ToString::to_string)
                    }
                    _ => None,
                })
                .collect();
            constants.unwrap_or_else(|| vec![text.to_owned()])
        }
        Test::Condition(_) => vec![text.to_owned()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Arc<Schema> {
        Arc::new(
            Schema::from_json(
                r#"[{"field": "pd", "type": "number"}, {"field": "segment", "type": "string"},
                    {"field": "flag", "type": "bool"}]"#,
            )
            .expect("schema"),
        )
    }

    /// A graph of one table between input and output; `rules` are `(id, [input cells], output cell)`.
    fn one_table(hit: &str, inputs: &[(&str, &str)], rules: &[(&str, &[&str], &str)]) -> String {
        let columns: Vec<serde_json::Value> = inputs
            .iter()
            .enumerate()
            .map(|(i, (name, field))| serde_json::json!({"id": format!("i{i}"), "name": name, "field": field}))
            .collect();
        let rules: Vec<serde_json::Value> = rules
            .iter()
            .map(|(id, cells, output)| {
                let mut rule = serde_json::Map::new();
                rule.insert("_id".into(), (*id).into());
                for (i, cell) in cells.iter().enumerate() {
                    rule.insert(format!("i{i}"), (*cell).into());
                }
                rule.insert("o".into(), (*output).into());
                serde_json::Value::Object(rule)
            })
            .collect();
        serde_json::json!({
            "nodes": [
                {"id": "in", "name": "In", "type": "inputNode"},
                {"id": "t", "name": "Table", "type": "decisionTableNode", "content": {"hitPolicy": hit,
                    "inputs": columns, "outputs": [{"id": "o", "name": "Out", "field": "out"}], "rules": rules}},
                {"id": "out", "name": "Out", "type": "outputNode"}],
            "edges": [{"id": "a", "sourceId": "in", "targetId": "t"}, {"id": "b", "sourceId": "t", "targetId": "out"}]
        })
        .to_string()
    }

    fn error(json: &str) -> String {
        load("t.json", json, &schema()).expect_err("refused").to_string()
    }

    #[test]
    fn gaps_are_found_per_group_of_other_cells() {
        let inputs = [("Segment", "segment"), ("PD", "pd")];
        let complete = one_table(
            "first",
            &inputs,
            &[
                ("a", &["\"planting\", \"livestock\"", "< 0.1"], "1"),
                ("b", &["\"planting\"", ">= 0.1"], "2"),
                ("c", &["\"livestock\"", "[0.1..0.2]"], "3"),
                ("d", &["", ""], "4"),
            ],
        );
        load("t.json", &complete, &schema()).expect("every group covers every PD");
        let other = one_table("first", &inputs, &[("a", &["\"planting\"", "< 0.1"], "1"), ("b", &["", ">= 0.1"], "2")]);
        assert_eq!(
            error(&other),
            "t.json: node \"Table\" (t): no rule covers column \"PD\" in (-inf, 0.1) when \"Segment\" is another value"
        );
        let gap = one_table(
            "first",
            &inputs,
            &[
                ("a", &["\"planting\"", "< 0.1"], "1"),
                ("b", &["\"livestock\"", "< 0.1"], "2"),
                ("c", &["\"livestock\"", ">= 0.1"], "3"),
            ],
        );
        assert_eq!(
            error(&gap),
            "t.json: node \"Table\" (t): no rule covers column \"PD\" in [0.1, +inf) when \"Segment\" is \"planting\""
        );
    }

    #[test]
    fn unique_tables_refuse_shared_strings_but_accept_disjoint_ones() {
        let inputs = [("Segment", "segment")];
        let disjoint = one_table("unique", &inputs, &[("a", &["\"x\""], "1"), ("b", &["\"y\", \"z\""], "2")]);
        load("t.json", &disjoint, &schema()).expect("disjoint");
        let shared = one_table("unique", &inputs, &[("a", &["\"x\", \"y\""], "1"), ("b", &["\"y\""], "2")]);
        assert!(error(&shared).contains("rule \"b\" (#2): overlaps rule \"a\" (#1)"), "{}", error(&shared));
    }

    #[test]
    fn empty_intervals_and_null_rules() {
        let inputs = [("PD", "pd")];
        let empty = one_table("first", &inputs, &[("a", &["[0.5..0.1]"], "1"), ("b", &[""], "2")]);
        assert!(error(&empty).contains("rule \"a\" (#1), column \"PD\": the interval [0.5, 0.1] is empty"));
        // A rule for null after a catch-all for numbers is reachable, and leaves no gap.
        let with_null =
            one_table("first", &inputs, &[("a", &["< 0.1"], "1"), ("b", &[">= 0.1"], "2"), ("c", &["null"], "3")]);
        load("t.json", &with_null, &schema()).expect("null is not covered by number rules");
    }

    /// A graph of one expression node and one switch between input and output.
    fn expression_and_switch(assignment: &str, condition: &str) -> String {
        serde_json::json!({
            "nodes": [
                {"id": "in", "name": "In", "type": "inputNode"},
                {"id": "x", "name": "Calc", "type": "expressionNode",
                    "content": {"expressions": [{"id": "e1", "key": "k", "value": assignment}]}},
                {"id": "s", "name": "Route", "type": "switchNode",
                    "content": {"statements": [{"id": "yes", "condition": condition}]}},
                {"id": "out", "name": "Out", "type": "outputNode"}],
            "edges": [{"id": "a", "sourceId": "in", "targetId": "x"}, {"id": "b", "sourceId": "x", "targetId": "s"},
                {"id": "c", "sourceId": "s", "targetId": "out", "sourceHandle": "yes"}]
        })
        .to_string()
    }

    /// Loads on a small stack.
    fn error_on_small_stack(json: String) -> String {
        crate::on_small_stack(move || error(&json))
    }

    #[test]
    fn nesting_too_deep_is_refused_naming_node_rule_and_column() {
        let deep = "-".repeat(5_000) + "pd";
        let message = error_on_small_stack(expression_and_switch(&deep, "true"));
        assert!(message.starts_with("t.json: node \"Calc\" (x), rule \"e1\" (#1), column \"k\": nested deeper than 64 levels at character 64 of `----"), "{message}");
        let message = error_on_small_stack(expression_and_switch("1", &"(".repeat(5_000)));
        assert!(
            message.starts_with("t.json: node \"Route\" (s), rule \"yes\" (#1): nested deeper than 64 levels"),
            "{message}"
        );
        let sixty_thousand = "-".repeat(60_000) + "pd";
        let message = error_on_small_stack(expression_and_switch(&sixty_thousand, "true"));
        assert!(message.ends_with("column \"k\": longer than 10000 characters at character 10000 of `----------------------------------------…`"), "{message}");
        let cell = "< ".to_owned() + &"abs(".repeat(1_500) + &")".repeat(1_500);
        let table = one_table("first", &[("PD", "pd")], &[("a", &[""], "1"), ("b", &[&cell], "2")]);
        let message = error_on_small_stack(table);
        assert!(
            message.contains("node \"Table\" (t), rule \"b\" (#2), column \"PD\": nested deeper than 64"),
            "{message}"
        );
        let output = "max([".to_owned() + &vec!["pd"; 100].join(", ") + "])";
        let table = one_table("first", &[("PD", "pd")], &[("a", &[""], &output)]);
        let message = error_on_small_stack(table);
        assert!(
            message.contains("rule \"a\" (#1), column \"Out\": nested deeper than 64 levels (min and max"),
            "{message}"
        );
    }

    #[test]
    fn json_nested_deeper_than_serde_json_allows_is_refused() {
        // A node's content is read into a `serde_json::Value`, and serde_json stops at 128 levels of arrays and
        // objects (it refuses the 128th level), before any recursion of ours; a key the graph does not have is skipped without recursion.
        let with = |value: String| {
            let mut graph: serde_json::Value =
                serde_json::from_str(&one_table("first", &[("PD", "pd")], &[("a", &[""], "1")])).expect("json");
            graph["nodes"][1]["content"]["editor"] = serde_json::Value::Null;
            graph["editor"] = serde_json::Value::Null;
            graph.to_string().replacen("\"editor\":null", &format!("\"editor\":{value}"), 1)
        };
        let arrays = |levels: usize| "[".repeat(levels) + &"]".repeat(levels);
        let objects = |levels: usize| "{\"a\":".repeat(levels) + "1" + &"}".repeat(levels);
        crate::on_small_stack(move || {
            let graph = with(arrays(123));
            assert!(graph.find("\"editor\":[") > graph.find("\"content\""), "in a node's content");
            load("t.json", &graph, &schema()).expect("graph, nodes, node, content and 123 arrays: 127 levels");
            for value in [arrays(124), arrays(60_000), objects(60_000)] {
                let message = error(&with(value));
                assert!(message.starts_with("t.json: not a JDM graph: recursion limit exceeded"), "{message}");
            }
            let skipped = format!("{{\"editor\": {}, \"nodes\": []}}", objects(60_000));
            assert_eq!(error(&skipped), "t.json: a graph needs exactly one inputNode, found 0");
        });
    }

    #[test]
    fn gap_check_groups_are_bounded() {
        // 13 string columns of two values each: 8,192 groups, each once the product of the cells.
        let inputs: Vec<(&str, &str)> = (0..13).map(|_| ("Segment", "segment")).chain([("PD", "pd")]).collect();
        let mut cells = vec!["\"x\", \"y\""; 13];
        cells.push("< 0.1");
        let table = one_table("first", &inputs, &[("a", &cells, "1"), ("b", &[""; 14], "2")]);
        let message = error_on_small_stack(table);
        assert!(message.ends_with("rule \"a\" (#1): the other columns' values combine into more than 4096 groups, too many to check for gaps; split the table"), "{message}");
        // 11 such columns: 2,048 groups, and the one of rule "b" whose cells are all empty.
        let fewer: Vec<&str> = cells[2..].to_vec();
        let table = one_table("first", &inputs[2..], &[("a", &fewer, "1"), ("b", &[""; 12], "2")]);
        load("t.json", &table, &schema()).expect("2,049 groups are checked");
    }

    #[test]
    fn graph_shape_errors() {
        let node = |id: &str, kind: &str| serde_json::json!({"id": id, "name": id.to_uppercase(), "type": kind});
        let graph = |nodes: Vec<serde_json::Value>, edges: serde_json::Value| {
            serde_json::json!({"nodes": nodes, "edges": edges}).to_string()
        };
        let duplicate = graph(vec![node("in", "inputNode"), node("in", "outputNode")], serde_json::json!([]));
        assert!(error(&duplicate).contains("node \"IN\" (in): duplicate node id"));
        let two_inputs = graph(vec![node("a", "inputNode"), node("b", "inputNode")], serde_json::json!([]));
        assert!(error(&two_inputs).contains("exactly one inputNode, found 2"));
        let orphan = graph(vec![node("in", "inputNode"), node("out", "outputNode")], serde_json::json!([]));
        assert!(error(&orphan).contains("node \"OUT\" (out): not reachable from the input node"));
        let bad_handle = graph(
            vec![node("in", "inputNode"), node("out", "outputNode")],
            serde_json::json!([{"id": "e", "sourceId": "in", "targetId": "out", "sourceHandle": "nope"}]),
        );
        assert!(error(&bad_handle).contains("edge `e` leaves by unknown statement `nope`"));
        let backwards = graph(
            vec![node("in", "inputNode"), node("out", "outputNode")],
            serde_json::json!([{"id": "e", "sourceId": "out", "targetId": "in"}]),
        );
        assert!(error(&backwards).contains("edge `e` enters an input node or leaves an output node"));
    }

    #[test]
    fn unsupported_table_options_and_non_boolean_conditions() {
        let mut graph: serde_json::Value =
            serde_json::from_str(&one_table("first", &[("PD", "pd")], &[("a", &[""], "1")])).expect("json");
        graph["nodes"][1]["content"]["outputPath"] = "result".into();
        assert!(error(&graph.to_string()).contains("unsupported: outputPath"));
        graph["nodes"][1]["content"]["outputPath"] = serde_json::Value::Null;
        graph["nodes"][1]["content"]["executionMode"] = "loop".into();
        assert!(error(&graph.to_string()).contains("unsupported: executionMode"));
        let condition = one_table("first", &[("Condition", "")], &[("a", &["pd + 1"], "1")]);
        assert!(
            error(&condition).contains("rule \"a\" (#1), column \"Condition\": a condition must be a bool, got number")
        );
        let flag = one_table("first", &[("Flag", "flag")], &[("a", &["true"], "1"), ("b", &["$ == false"], "2")]);
        load("t.json", &flag, &schema()).expect("a `$` condition on a bool column");
    }
}
