# Telefonia no navegador: avisos de chamada, discador, botões de chamada, resultado da
# chamada e painel ao vivo.

nav-live = Painel ao vivo

## Discador e botões de chamada
calls-dialer = Discar
calls-dialer-number = Número a discar
calls-dialer-keypad = Teclado
calls-dialer-call = Ligar
calls-call = Ligar
calls-call-label = Ligar para { $phone }
calls-blacklist = Lista negra
calls-blacklist-label = Colocar { $phone } na lista negra
calls-blacklist-confirm = Recusar a partir de agora todas as chamadas deste número?
calls-dialing = O seu telefone toca primeiro: atenda para ligar para { $phone }.
calls-dialing-ext = (ramal { $extension })
calls-blacklisted = { $phone } está na lista negra: as suas chamadas são recusadas a partir de agora.
calls-already-blacklisted = { $phone } já estava na lista negra.
calls-blacklisted-by = Colocado na lista negra a partir da ficha por { $name }

## Porque a chamada não foi feita
calls-error-title = Não foi possível fazer a chamada
calls-error-no_integration = Ainda não há telefonia configurada. Um administrador conecta o PABX em Configurações → Telefonia.
calls-error-no_extension = Você ainda não tem ramal no PABX. Um administrador atribui um em Configurações → Telefonia.
calls-error-bad_number = Este número não pode ser discado. Verifique-o e tente de novo.
calls-error-no_money = A conta do PABX ficou sem saldo. Um administrador recarrega o saldo com o fornecedor.
calls-error-wrong_number = O PABX recusou este número. Verifique-o (com o código do país) e tente de novo.
calls-error-pbx_unreachable = O PABX não responde agora. Tente daqui a um minuto; se continuar, um administrador verifica as configurações de telefonia.
calls-error-settings_unreadable = As configurações de telefonia estão danificadas. Um administrador as salva de novo (com a chave e o segredo) em Configurações → Telefonia.
calls-error-other = O PABX recusou a chamada: { $message }

## O aviso
calls-incoming = Chamada recebida
calls-outgoing = Chamada efetuada
calls-talking = Em conversa
calls-ended = Chamada terminada
calls-missed = Chamada perdida
calls-close = Fechar
calls-unknown-number = Número desconhecido
calls-responsible = Responsável
calls-our-number = Número chamado
calls-create-contact = Criar contato
calls-call-back = Retornar a chamada

## Resultado da chamada
calls-result-label = Resultado da chamada
calls-result-lead = Vincular a um negócio
calls-result-lead-none = Não vincular
calls-result-lead-new = Criar um negócio novo
calls-result-lead-name = Nome do negócio novo
calls-result-card = Na ficha de
calls-result-save = Salvar o resultado
calls-result-saved = Salvo na nota da chamada.
calls-feed-result = Resultado:
error-NoCard = A chamada ainda não tem contato: crie o contato primeiro.

## Painel ao vivo
calls-board-title = Painel ao vivo
calls-board-hint = Quem está numa chamada agora. Atualiza-se sozinho.
calls-board-empty = Nenhum gestor para mostrar.
calls-board-manager = Gestor
calls-board-state = Estado
calls-board-with = Com
calls-board-for = Há
calls-board-missed = Perdidas hoje
calls-board-ext = ramal { $extension }
calls-board-free = Livre
calls-board-ringing = Tocando
calls-board-talking = Em chamada
