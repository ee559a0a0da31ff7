# Incoming leads (ui/incoming.rs) — Português.

## Incoming leads
incoming-title = Leads de entrada
incoming-waiting = { $count ->
    [one] { $count } aguardando
   *[other] { $count } aguardando
}
incoming-empty = Nada aguardando. Chamadas de números desconhecidos e formulários web chegam aqui.
incoming-pipeline = Funil
incoming-all-pipelines = Todos os funis
incoming-source = Origem
incoming-all-sources = Todas as origens
incoming-source-sip = Chamada
incoming-source-forms = Formulário
incoming-lead-number = Lead nº { $id }
incoming-received = Recebido
incoming-price = Orçamento
incoming-contact = Contato
incoming-company = Empresa
incoming-calls = Chamadas
incoming-call-in = Chamada recebida de
incoming-call-out = Chamada feita para
incoming-duration = duração
incoming-called-number = número discado
incoming-recording = Gravação da chamada
incoming-recording-open = Abrir a gravação
incoming-no-recording = Sem gravação
incoming-stage = Etapa
incoming-responsible = Responsável
incoming-responsible-me = Eu (ou o responsável atual)
incoming-accept = Aceitar
incoming-decline = Recusar como spam
incoming-decline-confirm = Recusar este lead como spam? Ele será fechado como perdido.
incoming-link = Vincular a um lead
incoming-pages = Páginas
incoming-done-accepted = O lead foi aceito.
incoming-done-declined = O lead foi recusado e fechado como perdido.
incoming-done-linked = A chamada agora aparece no lead escolhido.
incoming-link-title = Vincular a um lead existente
incoming-link-find = Encontrar o lead
incoming-link-hint = A chamada passa para o lead escolhido, quem ligou passa a ser um dos seus contatos e este lead de entrada é fechado.
incoming-link-search = Nome do lead ou telefone
incoming-link-none = Nenhum lead corresponde.
incoming-link-here = Vincular aqui
